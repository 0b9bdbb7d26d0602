package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestRevertUndoesWhatSucceededInReverse(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	require.NoError(t, f.client.Create(f.ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "existing", Namespace: f.namespace}, Data: map[string]string{"k": "v"}}))
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  parameters:
  - {name: message, default: "x"}
  failurePolicy: Continue
  actions:
  - name: create-cm
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm-$(executionName)
        data:
          message: $(params.message)
  - name: announce
    type: HTTP
    http: {url: "%[1]s/announce", method: POST}
  - name: switch
    type: HTTP
    http: {url: "%[1]s/switch/$(params.message)", method: POST}
    rollback:
      type: HTTP
      http: {url: "%[1]s/undo-switch/$(outputs.create-cm.name)/$(outputs.switch.statusCode)", method: POST}
  - name: touch-existing
    type: KubernetesResource
    resource:
      operation: Apply
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: existing}
        data: {touched: "yes"}
  - name: broken
    type: HTTP
    http: {url: "%[1]s/broken"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: undoable}
spec:
  stages:
  - name: only
    workflows:
    - workflowRef: {name: app}
      params: [{name: message, value: "he said \"hi\": {ok}"}]
`, srv.URL))
	res := f.execute("undoable")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, "the last action fails: a failed run's succeeded actions can still be undone")
	cmName := "cm-" + res.Execution.Name
	cm := &corev1.ConfigMap{}
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, cmName), cm))
	assert.Equal(t, `he said "hi": {ok}`, cm.Data["message"], "the value lands in the manifest exactly")
	assert.Equal(t, res.Execution.Name, cm.Labels[LabelExecution])
	assert.Equal(t, "app.create-cm", cm.Labels[LabelAction])

	var reverting *v1alpha1.DRPlanExecution
	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name,
		OnStart: func(e *v1alpha1.DRPlanExecution) { reverting = e }})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, v1alpha1.OperationRevert, reverting.Spec.OperationType)
	assert.Equal(t, res.Execution.Name, reverting.Spec.RevertExecutionRef)

	exec := f.execution(rev.Execution.Name)
	assert.Equal(t, []string{ // reverse order, succeeded actions only
		"only/app/touch-existing=Skipped",
		"only/app/switch=Succeeded",
		"only/app/announce=Skipped",
		"only/app/create-cm=Succeeded",
	}, actionPhases(exec))
	assert.Contains(t, actionStatus(exec, "only", "app", "touch-existing").Message, "applied to an existing object; define a rollback")
	assert.Contains(t, actionStatus(exec, "only", "app", "announce").Message, "HTTP actions have no automatic rollback")
	assert.Equal(t, "/undo-switch/"+cmName+"/200", h.list()[len(h.list())-1], "the custom rollback, rendered with the forward run's outputs, its own included")
	err = f.client.Get(f.ctx, objectKey(f.namespace, cmName), cm)
	assert.True(t, apierrors.IsNotFound(err), "the automatic rollback of a Create deletes the object: %v", err)
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, "existing"), cm))
	assert.Equal(t, "yes", cm.Data["touched"], "an object that existed before is left alone")

	plan := f.plan("undoable")
	assert.Equal(t, v1alpha1.PlanReady, plan.Status.Phase, "Ready after a successful Revert")
	assert.Equal(t, rev.Execution.Name, plan.Status.LastExecutionRef)
	require.Len(t, plan.Status.ExecutionHistory, 2)
	assert.Equal(t, v1alpha1.OperationRevert, plan.Status.ExecutionHistory[0].OperationType)

	_, err = f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: rev.Execution.Name})
	require.True(t, IsInvalid(err))
	assert.Contains(t, err.Error(), "only an Execute can be reverted")
}

func TestRevertRunsStagesInReverseCompletionOrder(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	wf := func(name string) string {
		return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: %[1]s}
spec:
  actions:
  - name: a
    type: HTTP
    http: {url: "%[2]s/do/%[1]s/a"}
    rollback: {type: HTTP, http: {url: "%[2]s/undo/%[1]s/a"}}
  - name: b
    type: HTTP
    http: {url: "%[2]s/do/%[1]s/b"}
    rollback: {type: HTTP, http: {url: "%[2]s/undo/%[1]s/b"}}
`, name, srv.URL)
	}
	f.apply(wf("first") + "---\n" + wf("second") + "---\n" + wf("third") + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: ordered}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: first}}]}
  - {name: s2, dependsOn: [s1], workflows: [{workflowRef: {name: second}}]}
  - {name: s3, dependsOn: [s2], workflows: [{workflowRef: {name: third}}]}
`)
	res := f.execute("ordered")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase)
	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase)
	assert.Equal(t, []string{
		"/do/first/a", "/do/first/b", "/do/second/a", "/do/second/b", "/do/third/a", "/do/third/b",
		"/undo/third/b", "/undo/third/a", "/undo/second/b", "/undo/second/a", "/undo/first/b", "/undo/first/a",
	}, h.list())
}
