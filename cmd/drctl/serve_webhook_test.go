package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/controller"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// registerWebhooks registers serve's admission webhooks for namespace only, called at addr.
func registerWebhooks(t *testing.T, c client.Client, name, namespace, addr string) {
	t.Helper()
	v, m := controller.WebhookConfigurations(controller.WebhookConfigOptions{
		Name: name,
		ClientConfig: func(path string) admissionregistrationv1.WebhookClientConfig {
			url := "https://" + addr + path
			return admissionregistrationv1.WebhookClientConfig{URL: &url}
		},
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": namespace}},
	})
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, v))
	require.NoError(t, c.Create(ctx, m))
	t.Cleanup(func() { _ = c.Delete(ctx, v); _ = c.Delete(ctx, m) })
}

// createYAML creates one object from YAML in namespace and returns the API server's error.
func createYAML(c client.Client, namespace, doc string, obj client.Object) error {
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		return err
	}
	obj.SetNamespace(namespace)
	return c.Create(context.Background(), obj)
}

// With serve's webhooks registered, bad objects are refused at admission with drctl validate's
// messages, delete protections hold, and executions are admitted only when they can run.
func TestServeAdmissionWebhooks(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	registerWebhooks(t, c, "drctl-"+ns, ns, addr)
	startServe(t, kubeconfig, ns, "--webhook-port", port, "--webhook-host", host, "--system-namespace", ns,
		"--webhook-configuration-name", "drctl-"+ns)

	// A workflow using an undefined parameter: refused with validate's message. (The API server
	// may take a moment to see the caBundle serve injected.)
	bad := `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: bad}
spec:
  actions:
  - {name: a, type: HTTP, http: {url: "` + srv.URL + `/$(params.nowhere)", method: POST}}
`
	var err error
	require.Eventually(t, func() bool {
		err = createYAML(c, ns, bad, &v1alpha1.DRWorkflow{})
		return err != nil && !strings.Contains(err.Error(), "failed calling webhook")
	}, 20*time.Second, 200*time.Millisecond, "the webhook never answered: %v", err)
	assert.Contains(t, err.Error(), fmt.Sprintf(`DRWorkflow %s/bad: spec.actions[0].http.url: undefined parameter "nowhere"`, ns))

	// Valid workflows and a plan are admitted.
	require.NoError(t, createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: web}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - {name: switch, type: HTTP, http: {url: "`+srv.URL+`/switch/$(params.target)", method: POST}}
  - {name: hold, type: HTTP, http: {url: "`+srv.URL+`/hold", method: POST}}
  - {name: after, type: HTTP, http: {url: "`+srv.URL+`/after", method: POST}}
`, &v1alpha1.DRWorkflow{}))
	require.NoError(t, createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: web-failover}
spec:
  globalParams: [{name: target, value: cluster-b}]
  stages: [{name: web, workflows: [{workflowRef: {name: web}}]}]
`, &v1alpha1.DRPlan{}))

	// A plan that does not supply a parameter its workflow requires: refused.
	err = createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: no-target}
spec:
  stages: [{name: web, workflows: [{workflowRef: {name: web}}]}]
`, &v1alpha1.DRPlan{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("DRPlan %s/no-target: spec.stages[0].workflows[0]", ns))
	assert.Contains(t, err.Error(), `"target"`)

	// A workflow a plan references cannot be deleted (FR-044).
	err = c.Delete(context.Background(), &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("cannot be deleted: DRPlan %s/web-failover references it", ns))

	// A Revert of a plan that never ran: refused.
	execution := func(name string, spec v1alpha1.DRPlanExecutionSpec) *v1alpha1.DRPlanExecution {
		return &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	}
	err = c.Create(context.Background(), execution("undo", v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationRevert, RevertExecutionRef: "never"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `spec.revertExecutionRef: Not found: DRPlanExecution `+ns+`/never`)

	// A good execution is admitted, labelled, and runs; while it runs the plan takes no other
	// execution and cannot be deleted, and its spec cannot change.
	require.NoError(t, c.Create(context.Background(), execution("run-1", v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationExecute})))
	first := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-1"}, first))
	assert.Equal(t, "web-failover", first.Labels["drplan"], "the defaulting webhook labels executions with their plan")
	awaitExecution(t, c, ns, "run-1", v1alpha1.PhaseRunning, 30*time.Second)

	err = c.Create(context.Background(), execution("run-2", v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationExecute}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.planRef: DRPlan web-failover is running: execution run-1")

	err = c.Delete(context.Background(), &v1alpha1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-failover"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be deleted while it runs")

	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-1"}, first))
	first.Spec.Mode = v1alpha1.ModeUpgrade
	err = c.Update(context.Background(), first)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec: Forbidden: an execution's spec cannot change after it is created")

	// serve's runner obeys the operator's signals; the webhook keeps their record true: a signal
	// names the user who sent it, and none sent is rewritten.
	flags := []string{"--kubeconfig", kubeconfig, "-n", ns}
	code, out := runDrctl(t, append([]string{"pause", "run-1", "--reason", "bridge call"}, flags...)...)
	require.Equal(t, 0, code, out)
	require.Eventually(t, func() bool {
		return c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-1"}, first) == nil && engine.Paused(first)
	}, 20*time.Second, 50*time.Millisecond, "serve's runner never applied the pause")
	release <- struct{}{} // hold finishes; after does not start while paused
	time.Sleep(2 * time.Second)
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-1"}, first))
	assert.Equal(t, v1alpha1.PhaseRunning, first.Status.Phase)
	assert.Equal(t, v1alpha1.PhasePending, first.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[2].Phase, "no action starts while paused")

	forged := first.DeepCopy()
	forged.Annotations[engine.AnnotationSignals] = strings.TrimSuffix(forged.Annotations[engine.AnnotationSignals], "]") +
		`,{"id":"x","verb":"Continue","by":"mallory","at":"2026-11-30T00:00:00Z"}]`
	err = c.Update(context.Background(), forged)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `signal x says it was sent by "mallory", but`)
	rewritten := first.DeepCopy()
	rewritten.Annotations[engine.AnnotationSignals] = "[]"
	err = c.Update(context.Background(), rewritten)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signals are only appended; those sent stay as they are")

	code, out = runDrctl(t, append([]string{"continue", "run-1"}, flags...)...)
	require.Equal(t, 0, code, out)
	awaitExecution(t, c, ns, "run-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	// A runner records the end before it releases the plan's Lease: an execution created in
	// between is admitted (the run the Lease names has ended) and starts once the Lease is free.
	// The moment is held open here by a Lease naming run-1 that lapses in 3 s.
	holdLease(t, c, ns, "drplan-web-failover", "execution run-1 by someone@elsewhere pid 1 (cli)", 3)
	// After it: a Revert of it is admitted and runs.
	require.NoError(t, c.Create(context.Background(), execution("undo-1", v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationRevert, RevertExecutionRef: "run-1"})))
	awaitExecution(t, c, ns, "undo-1", v1alpha1.PhaseSucceeded, 30*time.Second)

	// An execution is judged as its run would be, with its own parameters: a plan that leaves a
	// required parameter to each run (its workflow came after it) takes an execution that
	// supplies it, and refuses one that does not.
	require.NoError(t, createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: regional}
spec:
  stages: [{name: only, workflows: [{workflowRef: {name: regional}}]}]
`, &v1alpha1.DRPlan{}), "a workflow that does not exist yet is a warning, not a refusal")
	require.NoError(t, createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: regional}
spec:
  parameters: [{name: region, required: true}]
  actions:
  - {name: switch, type: HTTP, http: {url: "`+srv.URL+`/region/$(params.region)", method: POST}}
`, &v1alpha1.DRWorkflow{}))
	err = c.Create(context.Background(), execution("regional-bare", v1alpha1.DRPlanExecutionSpec{PlanRef: "regional", OperationType: v1alpha1.OperationExecute}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"region"`)
	eu := "eu"
	require.NoError(t, c.Create(context.Background(), execution("regional-eu", v1alpha1.DRPlanExecutionSpec{PlanRef: "regional", OperationType: v1alpha1.OperationExecute,
		Params: []v1alpha1.Parameter{{Name: "region", Value: &eu}}})))
	awaitExecution(t, c, ns, "regional-eu", v1alpha1.PhaseSucceeded, 30*time.Second)
}

// holdLease makes name held by holder for seconds from now, once its runner has released it.
func holdLease(t *testing.T, c client.Client, namespace, name, holder string, seconds int32) {
	t.Helper()
	ctx := context.Background()
	l := &coordinationv1.Lease{}
	require.Eventually(t, func() bool {
		return c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, l) == nil && ptr.Deref(l.Spec.HolderIdentity, "") == ""
	}, 30*time.Second, 50*time.Millisecond, "the runner releases the plan's Lease")
	now := metav1.NewMicroTime(time.Now())
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds = ptr.To(holder), ptr.To(seconds)
	l.Spec.AcquireTime, l.Spec.RenewTime = &now, &now
	require.NoError(t, c.Update(ctx, l))
}
