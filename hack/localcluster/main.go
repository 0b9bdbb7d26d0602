// Command localcluster runs the same kube-apiserver and etcd the tests use as a long-lived local
// control plane on loopback, for people: `make cluster-up` starts it in the background, it writes
// an admin kubeconfig, and it stops cleanly on SIGTERM (`make cluster-down`). There is no
// scheduler, controller manager or kubelet: objects are stored and validated, Pods never run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	dir := flag.String("dir", ".local", "state directory: etcd data, kubeconfig")
	assets := flag.String("assets", "bin", "directory holding kube-apiserver and etcd")
	flag.Parse()
	if err := run(*dir, *assets); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(dir, assets string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	etcdData := filepath.Join(dir, "etcd")
	if err := os.MkdirAll(etcdData, 0o700); err != nil {
		return err
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	// Keep etcd's data between restarts, so what people create survives cluster-down/up.
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: etcdData}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("start control plane: %w", err)
	}
	defer func() { _ = env.Stop() }()

	user, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return err
	}
	fmt.Printf("control plane up at %s; kubeconfig written to %s\n", env.Config.Host, path)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	_ = os.Remove(path)
	fmt.Println("control plane stopping")
	return nil
}
