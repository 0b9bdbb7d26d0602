package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Pauses and continues sent at random moments of a run with parallel workflows: no action ever
// starts between a pause and the continue that follows it, every signal sent is recorded once
// (one that arrives as the run ends, Refused), and the run ends as it would have without them.
func TestPauseNeverCrossesAnActionStart(t *testing.T) {
	const trials = 6
	seed := testenv.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		time.Sleep(latency(seed, r.URL.Path))
	}))
	defer srv.Close()
	var workflows []string
	for _, w := range []string{"a", "b", "c"} {
		var names []string
		for k := range 8 {
			names = append(names, fmt.Sprintf("%s%d", w, k))
		}
		workflows = append(workflows, httpWorkflow(w, srv.URL, names...))
	}
	f.apply(strings.Join(workflows, "---\n"))
	operator := f.another()
	for i := range trials {
		plan := fmt.Sprintf("pauses-%d", i)
		f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages: [{name: all, parallel: true, workflows: [{workflowRef: {name: a}}, {workflowRef: {name: b}}, {workflowRef: {name: c}}]}]
`, plan))
		name, done := f.run(f.ctx, plan)
		cycles := 1 + rng.IntN(3)
		sent := 0
		for c := 0; c < 2*cycles; c++ {
			time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
			verb := []v1alpha1.SignalVerb{v1alpha1.SignalPause, v1alpha1.SignalContinue}[c%2]
			if _, err := operator.signal(name, verb, "", "trial"); err != nil {
				requireRefused(t, err, "is Succeeded") // the run ended first (a pause that came
				break                                  // too late to hold anything lets it end)
			}
			sent++
		}
		res := <-done
		require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, "seed %d trial %d: %s", seed, i, res.Message)
		paused := false
		applied := 0
		for _, e := range f.events.Events() {
			if e.Execution != name {
				continue
			}
			switch {
			case e.Type == EventSignal:
				applied++
				if e.Signal.Result == v1alpha1.SignalApplied {
					paused = e.Signal.Verb == v1alpha1.SignalPause
				}
			case e.Type == EventAction && e.Phase == v1alpha1.PhaseRunning:
				assert.False(t, paused, "seed %d trial %d: %s/%s started while paused", seed, i, e.Workflow, e.Action)
			}
		}
		assert.Equal(t, sent, applied, "seed %d trial %d: every signal received once", seed, i)
		assert.Len(t, f.execution(name).Status.Signals, sent)
	}
}

// A retry sent to a run that then dies at a random moment — before the runner saw it, while the
// action runs again, after — is applied exactly once, by whichever runner sees it: the resumed
// run ends Succeeded, nothing that finished runs again, and the record shows the one retry.
func TestARetryIsAppliedOnceWhenTheRunnerDiesAtAnyMoment(t *testing.T) {
	const trials = 4
	seed := testenv.Seed(t)
	for i := range trials {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
			f := newFixture(t, shortLease)
			var fixed atomic.Bool
			h := &hits{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.add(r.URL.Path)
				time.Sleep(latency(seed, r.URL.Path))
				if r.URL.Path == "/w1/flaky" && !fixed.Load() {
					http.Error(w, "not yet", http.StatusInternalServerError)
				}
			}))
			defer srv.Close()
			f.apply(httpWorkflow("w1", srv.URL, "first", "flaky", "after") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
			ctx, kill := context.WithCancel(context.Background())
			name, done := f.run(ctx, "p", askOnFailure)
			f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
			fixed.Store(true)
			operator := f.another(shortLease)
			_, err := operator.signal(name, v1alpha1.SignalRetry, "flaky", "fixed")
			require.NoError(t, err)
			time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
			kill()
			res := <-done
			if res.Phase != v1alpha1.PhaseSucceeded { // it died before the end: resume it
				res, err = operator.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
				require.NoError(t, err, "seed %d", seed)
			}
			require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, "seed %d: %s", seed, res.Message)
			exec := f.execution(name)
			assert.Equal(t, []string{"Retry=Applied"}, signalResults(exec), "seed %d", seed)
			assert.Empty(t, exec.Status.Waiting)
			assert.Equal(t, 1, h.count("/w1/first"), "seed %d: finished actions never run again", seed)
			assert.Contains(t, []int{2, 3}, h.count("/w1/flaky"), "seed %d: the failed attempt, the retry, at most once more after a crash during it", seed)
			assert.Contains(t, []int{1, 2}, h.count("/w2/last"), "seed %d: once, or again after a crash during it", seed)
		})
	}
}
