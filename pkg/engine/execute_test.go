package engine

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// barrier makes n concurrent requests wait for each other: if they do not arrive concurrently,
// the first times out and fails.
type barrier struct {
	mu      sync.Mutex
	waiting int
	n       int
	release chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, release: make(chan struct{})} }

func (b *barrier) wait() bool {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.n {
		close(b.release)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

func TestExecuteOrdersStagesAndRunsParallelWorkflowsConcurrently(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	both := newBarrier(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		if strings.HasPrefix(r.URL.Path, "/db/") || strings.HasPrefix(r.URL.Path, "/cache/") {
			if !both.wait() {
				w.WriteHeader(http.StatusGatewayTimeout)
				return
			}
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	f.apply(strings.Join([]string{
		httpWorkflow("notify", srv.URL, "start"),
		httpWorkflow("db", srv.URL, "promote", "repoint"),
		httpWorkflow("cache", srv.URL, "promote"),
		httpWorkflow("done", srv.URL, "finish"),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover}
spec:
  stages:
  - name: notify
    workflows: [{workflowRef: {name: notify}}]
  - name: infra
    dependsOn: [notify]
    parallel: true
    workflows: [{workflowRef: {name: db}}, {workflowRef: {name: cache}}]
  - name: finish
    dependsOn: [infra]
    workflows: [{workflowRef: {name: done}}]
`}, "\n---\n"))

	var started *v1alpha1.DRPlanExecution
	res := f.execute("failover", func(o *ExecuteOptions) { o.OnStart = func(e *v1alpha1.DRPlanExecution) { started = e } })
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	require.NotNil(t, started, "OnStart names the execution before the first action")

	calls := h.list()
	require.Len(t, calls, 5)
	assert.Equal(t, "/notify/start", calls[0])
	assert.Equal(t, "/done/finish", calls[4])
	assert.ElementsMatch(t, []string{"/db/promote", "/cache/promote", "/db/repoint"}, calls[1:4])
	assert.Less(t, indexOf(calls, "/db/promote"), indexOf(calls, "/db/repoint"))

	exec := f.execution(res.Execution.Name)
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.Phase)
	assert.Equal(t, "5/5", exec.Status.Progress)
	assert.Equal(t, 3, exec.Status.Summary.CompletedStages)
	assert.Equal(t, 4, exec.Status.Summary.CompletedWorkflows)
	assert.NotNil(t, exec.Status.CompletionTime)
	a := actionStatus(exec, "infra", "db", "repoint")
	assert.Equal(t, v1alpha1.PhaseSucceeded, a.Phase)
	assert.Equal(t, int32(1), a.Attempts)
	require.NotNil(t, a.Outputs)
	assert.Equal(t, 200, a.Outputs.HTTPResponse.StatusCode)
	assert.Equal(t, `{"ok":true}`, a.Outputs.HTTPResponse.Body)
	assert.Equal(t, "failover", exec.Labels["dr.bkbcs.tencent.com/plan"])
	assert.Equal(t, "failover", exec.Labels["drplan"])
	assert.Equal(t, "tester", exec.Annotations[AnnotationRunnerUser])
	require.NotNil(t, exec.Status.Runner)
	assert.Equal(t, "testhost", exec.Status.Runner.Host)
	assert.Nil(t, exec.Status.StageStatuses[1].WorkflowExecutions[0].WorkflowSpec, "the specs are not repeated in every workflow execution")
	assert.NotEmpty(t, exec.Status.WorkflowSnapshots, "the workflows' specs are snapshotted")
	unpacked, err := UnpackedStatus(exec)
	require.NoError(t, err)
	snap := unpacked.Status.StageStatuses[1].WorkflowExecutions[0].WorkflowSpec
	require.NotNil(t, snap, "the workflow's spec is snapshotted")
	assert.Len(t, snap.Actions, 2)

	wf := &v1alpha1.DRWorkflow{}
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, "db"), wf))
	assert.Equal(t, v1alpha1.WorkflowReady, wf.Status.Phase, "a validated workflow is marked Ready")
	assert.Equal(t, int32(2), wf.Status.ActionCount, "for the ACTIONS column of kubectl get drw")

	plan := f.plan("failover")
	assert.Equal(t, v1alpha1.PlanExecuted, plan.Status.Phase)
	assert.Nil(t, plan.Status.CurrentExecution)
	assert.Equal(t, exec.Name, plan.Status.LastExecutionRef)
	require.Len(t, plan.Status.ExecutionHistory, 1)
	assert.Equal(t, v1alpha1.PhaseSucceeded, plan.Status.ExecutionHistory[0].Phase)

	// Kubernetes Events on the execution.
	require.Eventually(t, func() bool {
		list := &corev1.EventList{}
		if f.client.List(f.ctx, list) != nil {
			return false
		}
		reasons := map[string]int{}
		for _, ev := range list.Items {
			if ev.InvolvedObject.Name == exec.Name && ev.InvolvedObject.Namespace == f.namespace {
				reasons[ev.Reason]++
			}
		}
		return reasons["ExecutionStarted"] == 1 && reasons["ActionStarted"] == 5 && reasons["ActionSucceeded"] == 5 &&
			reasons["StageStarted"] == 3 && reasons["StageSucceeded"] == 3 && reasons["ExecutionSucceeded"] == 1
	}, 10*time.Second, 100*time.Millisecond)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
