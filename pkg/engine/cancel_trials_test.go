package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Cancel at random points of a run (between actions, during one, during a retry wait): every
// time, nothing is left Running, no skipped action was sent, and the plan is free again.
func TestCancelAtRandomPoints(t *testing.T) {
	const trials = 20
	seed := testenv.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		time.Sleep(latency(seed, r.URL.Path)) // each action its own latency, the same on a replay
		if strings.HasSuffix(r.URL.Path, "/flaky") && h.count(r.URL.Path) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried after 200 ms
		}
	}))
	defer srv.Close()
	f.apply(httpWorkflow("a", srv.URL, "a1", "a2", "a3") + "---\n" + httpWorkflow("b", srv.URL, "b1", "b2") + "---\n" +
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: c}
spec:
  actions:
  - {name: flaky, type: HTTP, http: {url: "` + srv.URL + `/$(planName)/flaky", method: POST}, retryPolicy: {limit: 2, interval: 200ms}}
  - {name: c2, type: HTTP, http: {url: "` + srv.URL + `/c/c2", method: POST}}
  - name: cm
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "cm-$(executionName)"}
`)
	for i := range trials {
		plan := fmt.Sprintf("cancel-%d", i)
		f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages:
  - {name: first, parallel: true, workflows: [{workflowRef: {name: a}}, {workflowRef: {name: b}}]}
  - {name: second, dependsOn: [first], workflows: [{workflowRef: {name: c}}]}
  - {name: third, dependsOn: [second], workflows: [{workflowRef: {name: b}}]}
`, plan))
		delay := time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))
		before := h.list()
		var name string
		res, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: plan, OnStart: func(e *v1alpha1.DRPlanExecution) {
			name = e.Name
			go func() {
				time.Sleep(delay)
				_, err := f.engine.Cancel(context.Background(), f.namespace, e.Name)
				assert.NoError(t, err)
			}()
		}})
		require.NoError(t, err, "trial %d", i)
		require.Contains(t, []v1alpha1.ExecutionPhase{v1alpha1.PhaseCanceled, v1alpha1.PhaseSucceeded}, res.Phase, "trial %d (cancel after %s): %s", i, delay, res.Message)
		exec := f.execution(name)
		assert.Equal(t, res.Phase, exec.Status.Phase, "trial %d", i)
		sent := map[string]int{}
		for _, p := range h.list()[len(before):] {
			sent[p]++
		}
		for _, ss := range exec.Status.StageStatuses {
			assert.True(t, v1alpha1.IsFinished(ss.Phase), "trial %d: stage %s is %s", i, ss.Name, ss.Phase)
			for _, w := range ss.WorkflowExecutions {
				assert.True(t, v1alpha1.IsFinished(w.Phase), "trial %d: workflow %s is %s", i, w.WorkflowRef.Name, w.Phase)
				for _, a := range w.ActionStatuses {
					assert.True(t, v1alpha1.IsFinished(a.Phase), "trial %d: action %s/%s is %s", i, w.WorkflowRef.Name, a.Name, a.Phase)
				}
			}
		}
		// What was recorded Skipped in a workflow that ran once was never sent.
		for _, a := range []string{"a1", "a2", "a3"} {
			if actionStatus(exec, "first", "a", a).Phase == v1alpha1.PhaseSkipped {
				assert.Zero(t, sent["/a/"+a], "trial %d: skipped action a/%s was sent", i, a)
			}
		}
		if actionStatus(exec, "second", "c", "c2").Phase == v1alpha1.PhaseSkipped {
			assert.Zero(t, sent["/c/c2"], "trial %d: skipped action c/c2 was sent", i)
		}
		assert.Nil(t, f.plan(plan).Status.CurrentExecution, "trial %d: currentExecution cleared", i)
	}
}

// latency is an action's response time in a trial run: 0–80 ms, from the seed and the path.
func latency(seed int64, path string) time.Duration {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d%s", seed, path)
	return time.Duration(h.Sum64()%80) * time.Millisecond
}
