package engine_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Run a plan from Go, without cobra: build a client that can watch, feed the server clock from its
// responses, and call Execute. Events arrive at the observer as the run goes. (A program gets cfg
// from its kubeconfig: clientcmd.BuildConfigFromFlags("", kubeconfig).)
func ExampleEngine_Execute() {
	cfg, namespace := quickstartCluster()
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
			if e.Type == engine.EventAction {
				fmt.Println(e.Stage, e.Workflow, e.Action, e.Phase)
			}
		}),
	})
	res, err := eng.Execute(context.Background(), engine.ExecuteOptions{
		Namespace: namespace,
		Plan:      "quickstart",
		Params:    map[string]string{"targetCluster": "cluster-b"},
	})
	if err != nil {
		log.Fatal(err) // *engine.InvalidError, *engine.LockedError or *engine.APIError
	}
	fmt.Println(res.Phase, res.Execution.Status.Progress)
	// Output:
	// failover app-failover announce Running
	// failover app-failover announce Succeeded
	// failover app-failover point-to-target Running
	// failover app-failover point-to-target Succeeded
	// Succeeded 2/2
}

// quickstartCluster is the test API server with the quickstart plan in a namespace of its own,
// announcing to an HTTP server of the test.
func quickstartCluster() (*rest.Config, string) {
	cfg := engine.APIServerForExamples()
	if cfg == nil {
		log.Fatal("no test API server: run make test-tools")
	}
	c, err := client.New(cfg, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, namespace := context.Background(), "example-quickstart"
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	objects := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}}
	for _, doc := range []string{fmt.Sprintf(`
metadata: {name: app-failover, namespace: %s}
spec:
  parameters: [{name: targetCluster, required: true}, {name: webhookURL, default: %q}]
  actions:
  - {name: announce, type: HTTP, http: {url: "$(params.webhookURL)", method: POST, body: "failing over to $(params.targetCluster)"}}
  - name: point-to-target
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: app-primary}
        data: {primary: "$(params.targetCluster)"}
`, namespace, hook.URL), fmt.Sprintf(`
metadata: {name: quickstart, namespace: %s}
spec:
  globalParams: [{name: targetCluster, value: cluster-a}]
  stages: [{name: failover, workflows: [{workflowRef: {name: app-failover}}]}]
`, namespace)} {
		var obj client.Object = &v1alpha1.DRWorkflow{}
		if len(objects) == 2 {
			obj = &v1alpha1.DRPlan{}
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			log.Fatal(err)
		}
		objects = append(objects, obj)
	}
	for _, obj := range objects {
		if err := c.Create(ctx, obj); err != nil {
			log.Fatal(err)
		}
	}
	return cfg, namespace
}
