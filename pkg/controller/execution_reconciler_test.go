package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

func TestAnAppliedExecutionRunsToSucceeded(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	before := testutil.ToFloat64(executionsFinished.WithLabelValues("Execute", "Succeeded"))
	f.apply(httpWorkflow("w1", tg.URL, "stop-writes", "promote", "switch-dns") + "---\n" + sprintf(onePlan, "failover") + "---\n" + executionOf("failover-1", "failover"))

	got := f.awaitPhase("failover-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	assert.Equal(t, []string{"/w1/stop-writes", "/w1/promote", "/w1/switch-dns"}, tg.requests())
	require.NotNil(t, got.Status.Runner)
	assert.Equal(t, engine.ModeServe, got.Status.Runner.Mode)
	assert.Equal(t, "failover", got.Labels[engine.LabelPlan])
	assert.Eventually(t, func() bool {
		return testutil.ToFloat64(executionsFinished.WithLabelValues("Execute", "Succeeded")) >= before+1
	}, 5*time.Second, 50*time.Millisecond, "the finished run is counted")
}

func TestAnExecutionThatCannotRunIsRecordedFailed(t *testing.T) {
	f := newFixture(t)
	f.apply(sprintf(onePlan, "nowork") + "---\n" + executionOf("nowork-1", "nowork")) // w1 does not exist
	got := f.awaitPhase("nowork-1", v1alpha1.PhaseFailed, 30*time.Second)
	assert.Contains(t, got.Status.Message, "references missing workflows")
}

func TestAnExecutionOfAnotherImplementationIsNeverTouched(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	f.apply(httpWorkflow("w1", tg.URL, "a") + "---\n" + sprintf(onePlan, "theirs"))
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlanExecution
metadata:
  name: theirs-1
  annotations: {dr.bkbcs.tencent.com/managed-by: bcs-drplan-controller}
spec: {planRef: theirs, operationType: Execute}
`)
	// A second execution of drctl's, applied after it, runs: the first was looked at and left.
	f.apply(executionOf("ours-1", "theirs"))
	f.awaitPhase("ours-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	got := f.execution("theirs-1")
	assert.Empty(t, got.Status.Phase)
	assert.Nil(t, got.Status.Runner)
	assert.Equal(t, []string{"/w1/a"}, tg.requests())
}

// A CLI run killed mid-way (its process gone, its plan Lease left to expire) is resumed by serve
// once the Lease expires — not before — and finished actions are not repeated.
func TestACLIRunKilledMidWayIsResumedByServe(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", tg.URL, "first", "slow", "after") + "---\n" + sprintf(onePlan, "laptop"))
	takeovers := testutil.ToFloat64(leaseTakeovers)

	cli := cliEngine(t)
	ctx, kill := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var name string
	go func() {
		_, err := cli.Execute(ctx, engine.ExecuteOptions{Namespace: f.namespace, Plan: "laptop",
			OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
		done <- err
	}()
	require.Eventually(t, func() bool { return slices.Contains(tg.requests(), "/w1/slow") }, 20*time.Second, 20*time.Millisecond)
	kill() // kill -9: nothing more is written and the Lease is not released
	<-done
	killed := time.Now()

	exec := f.execution(name)
	require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase)
	require.Equal(t, engine.ModeCLI, exec.Status.Runner.Mode, "serve leaves the plan alone while the CLI's Lease is live")

	got := f.awaitPhase(name, v1alpha1.PhaseSucceeded, 30*time.Second)
	t.Logf("resumed and finished %.1fs after the runner died (plan Lease %s)", time.Since(killed).Seconds(), testLease)
	assert.Equal(t, engine.ModeServe, got.Status.Runner.Mode)
	reqs := tg.requests()
	assert.Equal(t, 1, count(reqs, "/w1/first"), "a finished action is not repeated: %v", reqs)
	assert.Equal(t, 1, count(reqs, "/w1/after"), "%v", reqs)
	assert.GreaterOrEqual(t, testutil.ToFloat64(leaseTakeovers), takeovers+1)
}

// cliEngine is a runner like `drctl execute` on a laptop, on the test API server.
func cliEngine(t *testing.T) *engine.Engine {
	clock := lease.NewServerClock()
	cfg := rest.CopyConfig(env.Config)
	cfg.Wrap(clock.Wrap)
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	return engine.New(engine.Config{Client: c, Clock: clock, LeaseDuration: testLease,
		Runner: v1alpha1.RunnerInfo{User: "sre", Host: "laptop", PID: 7, Mode: engine.ModeCLI}})
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// An execution applied while its plan is held by another run says so (Pending, and for what),
// then runs when the plan is free.
func TestAnExecutionWaitsVisiblyWhileItsPlanIsBusy(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	f.apply(httpWorkflow("w1", tg.URL, "a") + "---\n" + sprintf(onePlan, "busy"))
	other := lease.New(f.client, lease.NewServerClock(), f.namespace, lease.Name("busy"), "execution elsewhere by sre@laptop pid 1 (x)")
	require.NoError(t, other.TryAcquire(f.ctx))
	f.apply(executionOf("queued", "busy"))
	got := f.awaitPhase("queued", v1alpha1.PhasePending, 20*time.Second)
	assert.Contains(t, got.Status.Message, "waiting: the plan is held by execution elsewhere by sre@laptop")
	assert.Empty(t, tg.requests())
	require.NoError(t, other.Release(f.ctx))
	f.awaitPhase("queued", v1alpha1.PhaseSucceeded, 30*time.Second)
	assert.Equal(t, []string{"/w1/a"}, tg.requests())
}
