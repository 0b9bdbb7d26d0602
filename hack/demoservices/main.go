// Command demoservices stands in, for `make demo`, for what a real failover talks to: an HTTP
// service answering every endpoint of the e-commerce example (chat, orchestrator, Kafka router,
// health checks), and — since the local control plane has no kubelet — a job controller that
// marks each Job complete a second after it is created. It is a demo prop, not part of drctl.
package main

import (
	"context"
	"encoding/json"
	"flag"

	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/jobsim"
	"github.com/drctl/drctl/pkg/crd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", ".local/kubeconfig", "kubeconfig of the local control plane")
	urlFile := flag.String("url-file", ".local/demo-services.url", "where to write the service's base URL")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kubeconfig, *urlFile, *listen); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, kubeconfig, urlFile, listen string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if err := os.WriteFile(urlFile, []byte(url+"\n"), 0o644); err != nil {
		return err
	}
	log.Printf("demo services at %s", url)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s", r.Method, r.URL.Path)
		time.Sleep(300 * time.Millisecond) // a real service takes a moment
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "path": r.URL.Path})
	})}
	go func() { _ = srv.Serve(ln) }()
	go completeJobs(ctx, c)
	<-ctx.Done()
	return srv.Shutdown(context.Background())
}

// completeJobs plays the job controller: every Job without an outcome, a second old, succeeds.
func completeJobs(ctx context.Context, c client.Client) {
	jobsim.CompleteAll(ctx, c, 500*time.Millisecond, time.Second, func(job *batchv1.Job, err error) {
		if err != nil {
			log.Printf("complete job %s/%s: %v", job.Namespace, job.Name, err)
			return
		}
		log.Printf("job %s/%s completed", job.Namespace, job.Name)
	})
}
