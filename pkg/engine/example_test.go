package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/engine"
)

// Run a plan from Go, without cobra: build a client that can watch, feed the server clock from its
// responses, and call Execute. Events arrive at the observer as the run goes.
func ExampleEngine_Execute() {
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		log.Fatal(err)
	}
	clock := lease.NewServerClock()
	cfg.Wrap(clock.Wrap)
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		log.Fatal(err)
	}
	eng := engine.New(engine.Config{
		Client: c,
		Clock:  clock,
		Observer: engine.ObserverFunc(func(e engine.Event) {
			fmt.Println(e.Type, e.Stage, e.Workflow, e.Action, e.Phase)
		}),
	})
	res, err := eng.Execute(context.Background(), engine.ExecuteOptions{
		Namespace: "default",
		Plan:      "quickstart",
		Params:    map[string]string{"targetCluster": "cluster-b"},
	})
	if err != nil {
		log.Fatal(err) // *engine.InvalidError, *engine.LockedError or *engine.APIError
	}
	fmt.Println(res.Execution.Name, res.Phase)
}
