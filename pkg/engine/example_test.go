package engine_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

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
	cfg, namespace, cleanup, err := quickstartCluster()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cleanup()
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
// announcing to an HTTP server of the example; cleanup stops that server.
func quickstartCluster() (cfg *rest.Config, namespace string, cleanup func(), err error) {
	cfg = engine.APIServerForExamples()
	if cfg == nil {
		return nil, "", nil, fmt.Errorf("no test API server: run make test-tools")
	}
	c, err := client.New(cfg, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		return nil, "", nil, err
	}
	namespace = fmt.Sprintf("example-quickstart-%d", time.Now().UnixNano())
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	objects := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&v1alpha1.DRWorkflow{}, &v1alpha1.DRPlan{},
	}
	docs := []string{"", fmt.Sprintf(`
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
`, namespace)}
	for i, obj := range objects {
		if docs[i] != "" {
			if err := yaml.UnmarshalStrict([]byte(docs[i]), obj); err != nil {
				hook.Close()
				return nil, "", nil, err
			}
		}
		if err := c.Create(context.Background(), obj); err != nil {
			hook.Close()
			return nil, "", nil, err
		}
	}
	return cfg, namespace, hook.Close, nil
}
