package engine

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A runner drained at a random point (a controller replica shutting down) starts nothing more,
// lets running actions finish, records its progress and releases the plan: the run stays Running,
// and another runner resumes it at once. Across both runners every action is sent exactly once —
// a hand-over, unlike a crash, repeats nothing.
func TestDrainAtRandomPointsHandsOverAndTheResumeRepeatsNothing(t *testing.T) {
	const trials = 12
	seed := testenv.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		time.Sleep(latency(seed, r.URL.Path))
	}))
	defer srv.Close()
	f.apply(httpWorkflow("a", srv.URL, "a1", "a2", "a3") + "---\n" + httpWorkflow("b", srv.URL, "b1", "b2") + "---\n" + httpWorkflow("c", srv.URL, "c1", "c2"))
	all := []string{"/a/a1", "/a/a2", "/a/a3", "/b/b1", "/b/b2", "/c/c1", "/c/c2"}
	handedOver := 0
	for i := range trials {
		plan := fmt.Sprintf("drain-%d", i)
		f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages:
  - {name: first, parallel: true, workflows: [{workflowRef: {name: a}}, {workflowRef: {name: b}}]}
  - {name: second, dependsOn: [first], workflows: [{workflowRef: {name: c}}]}
`, plan))
		drain := make(chan struct{})
		cfg := f.cfg
		cfg.Drain = drain
		cfg.Runner.Host = "replica-a"
		draining := New(cfg)
		delay := time.Duration(rng.Int64N(int64(350 * time.Millisecond)))
		before := len(h.list())
		var name string
		res, err := draining.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: plan, OnStart: func(e *v1alpha1.DRPlanExecution) {
			name = e.Name
			time.AfterFunc(delay, func() { close(drain) })
		}})
		require.NoError(t, err, "trial %d", i)
		if res.Phase == v1alpha1.PhaseRunning {
			handedOver++
			exec := f.execution(name)
			require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase, "trial %d: a handed-over run stays Running", i)
			assert.Contains(t, exec.Status.Message, "handed over", "trial %d", i)
			for _, a := range actionPhases(exec) {
				assert.NotContains(t, a, "=Running", "trial %d (drain after %s): running actions finish before the hand-over", i, delay)
			}
			holder, err := lease.Describe(f.ctx, f.client, f.cfg.Clock, f.namespace, lease.Name(plan))
			require.NoError(t, err)
			assert.Nil(t, holder, "trial %d: the plan is released, not left to expire", i)

			res, err = f.engine.Resume(f.ctx, ResumeOptions{Namespace: f.namespace, Execution: name, LockTimeout: time.Second})
			require.NoError(t, err, "trial %d", i)
		}
		require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, "trial %d (drain after %s): %s", i, delay, res.Message)
		sent := map[string]int{}
		for _, p := range h.list()[before:] {
			sent[p]++
		}
		for _, p := range all {
			assert.Equal(t, 1, sent[p], "trial %d (drain after %s): %s sent %d times", i, delay, p, sent[p])
		}
	}
	t.Logf("%d of %d runs were handed over mid-way", handedOver, trials)
	assert.Positive(t, handedOver, "no trial drained a run mid-way: the test proved nothing")
}
