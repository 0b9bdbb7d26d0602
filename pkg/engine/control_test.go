package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// slowServer answers /slow/... after delay and everything else at once, counting hits.
func slowServer(t *testing.T, delay time.Duration) (*httptest.Server, *hits) {
	return failingServer(t, "", delay)
}

const twoStagePlan = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}]}
  - {name: s2, dependsOn: [s1], workflows: [{workflowRef: {name: w2}}]}
`

func TestCancelLetsTheRunningActionFinishAndSkipsTheRest(t *testing.T) {
	f := newFixture(t)
	srv, h := slowServer(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "fast", "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "never") + "---\n" + fmt.Sprintf(twoStagePlan, "cancelme"))

	var name string
	started := make(chan struct{})
	done := make(chan *Result)
	go func() {
		res, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "cancelme",
			OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name; close(started) }})
		require.NoError(t, err)
		done <- res
	}()
	<-started
	require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)
	cr, err := f.engine.Cancel(f.ctx, f.namespace, name)
	require.NoError(t, err)
	assert.Contains(t, cr.Message, "cancel requested; the runner (execution "+name)

	res := <-done
	require.Equal(t, v1alpha1.PhaseCanceled, res.Phase)
	exec := f.execution(name)
	assert.Equal(t, v1alpha1.PhaseCanceled, exec.Status.Phase)
	assert.Equal(t, []string{"s1/w1/fast=Succeeded", "s1/w1/slow=Succeeded", "s1/w1/after=Skipped", "s2/w2/never=Skipped"}, actionPhases(exec))
	assert.Equal(t, 0, h.count("/w1/after"))
	assert.Nil(t, f.plan("cancelme").Status.CurrentExecution, "cancel clears currentExecution")

	cr, err = f.engine.Cancel(f.ctx, f.namespace, name)
	require.NoError(t, err)
	assert.Contains(t, cr.Message, "already Canceled; the cancel request is ignored")
}

func TestTwoExecutionsOfOnePlanStartedTogetherOnlyOneRuns(t *testing.T) {
	f := newFixture(t)
	srv, _ := slowServer(t, 500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "slow") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "contended"))
	g := newFixture(t) // a second runner, with its own client and clock
	g.namespace = f.namespace
	var wg sync.WaitGroup
	results := make([]error, 2)
	phases := make([]v1alpha1.ExecutionPhase, 2)
	start := make(chan struct{})
	for i, e := range []*Engine{f.engine, g.engine} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.Execute(context.Background(), ExecuteOptions{Namespace: f.namespace, Plan: "contended"})
			results[i] = err
			if res != nil {
				phases[i] = res.Phase
			}
		}()
	}
	close(start)
	wg.Wait()
	var held *LockedError
	ran, locked := 0, 0
	for i, err := range results {
		switch {
		case err == nil:
			ran++
			assert.Equal(t, v1alpha1.PhaseSucceeded, phases[i])
		case errors.As(err, &held):
			locked++
			assert.Contains(t, held.Holder, "execution contended-")
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 1, ran)
	assert.Equal(t, 1, locked)
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, f.client.List(f.ctx, list))
	n := 0
	for _, e := range list.Items {
		if e.Namespace == f.namespace {
			n++
		}
	}
	assert.Equal(t, 1, n, "the locked run created nothing")
}

func TestResumeAfterAHardStopNeverRepeatsFinishedActions(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LeaseDuration = 3 * time.Second })
	srv, h := slowServer(t, 3*time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "first", "slow", "third") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "crashy"))

	ctx, kill := context.WithCancel(context.Background())
	var name string
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)
		kill() // the laptop dies in the middle of an action
	}()
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "crashy",
		OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "resume it with `drctl resume "+name+"`")
	exec := f.durable(name)
	require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase, "the record stays Running")
	assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/slow=Running", "s1/w1/third=Pending", "s2/w2/last=Pending"}, actionPhases(exec))

	// Another runner resumes once the dead runner's lease has expired.
	g := newFixture(t, func(c *Config) { c.LeaseDuration = 3 * time.Second })
	g.namespace = f.namespace
	begin := time.Now()
	res, err := g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Less(t, time.Since(begin), 10*time.Second)
	assert.Equal(t, 1, h.count("/w1/first"), "finished actions are never repeated")
	assert.Equal(t, 2, h.count("/w1/slow"), "the action that was running is sent again (at-least-once)")
	assert.Equal(t, 1, h.count("/w1/third"))
	assert.Equal(t, 1, h.count("/w2/last"))
	exec = f.execution(name)
	assert.Equal(t, int32(2), actionStatus(exec, "s1", "w1", "slow").Attempts)
	assert.Equal(t, "tester", exec.Status.Runner.User)

	_, err = g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	assert.ErrorContains(t, err, "already Succeeded; there is nothing to resume")
}

func TestUnreachableAPIServerEndsUnknown(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.PartitionTimeout = time.Second
		c.LeaseRetryPeriod = 200 * time.Millisecond
	})
	srv, h := slowServer(t, 2500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "partitioned"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)
		f.cut.Store(true) // the laptop loses the API server for longer than the partition timeout
		time.Sleep(2 * time.Second)
		f.cut.Store(false)
	}()
	res := f.execute("partitioned")
	require.Equal(t, v1alpha1.PhaseUnknown, res.Phase)
	assert.Contains(t, res.Message, "unreachable for more than 1s")
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, v1alpha1.PhaseUnknown, exec.Status.Phase, "recorded once the API server is back")
	assert.Equal(t, 0, h.count("/w1/after"), "no action starts during the partition")
}

func TestLosingTheLeaseStopsAtTheNextActionBoundary(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LeaseRetryPeriod = 200 * time.Millisecond })
	srv, h := slowServer(t, time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "stolen"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)
		// Another runner takes the plan over (as a resume would, after a long pause of this one).
		l := &coordinationv1.Lease{}
		require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, lease.Name("stolen")), l))
		l.Spec.HolderIdentity = ptr.To("execution elsewhere by someone@else pid 9")
		require.NoError(t, f.client.Update(f.ctx, l))
	}()
	res := f.execute("stolen")
	require.Equal(t, v1alpha1.PhaseUnknown, res.Phase)
	assert.Contains(t, res.Message, "lease was taken over by another runner")
	assert.Equal(t, 1, h.count("/w1/slow"), "the running action finished")
	assert.Equal(t, 0, h.count("/w1/after"), "nothing started after the loss")
	exec := f.durable(res.Execution.Name)
	assert.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase, "the record belongs to the new holder: this runner wrote no end")
	assert.Equal(t, []string{"s1/w1/slow=Running", "s1/w1/after=Pending", "s2/w2/x=Pending"}, actionPhases(exec),
		"nothing was written after the loss; the new holder re-runs slow (at-least-once)")
}

func TestADeadRunBlocksNewRunsUntilCanceled(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LeaseDuration = 3 * time.Second })
	srv, h := slowServer(t, 2*time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "abandoned"))
	ctx, kill := context.WithCancel(context.Background())
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)
		kill()
	}()
	var name string
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "abandoned", OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)

	g := newFixture(t)
	g.namespace = f.namespace
	// The dead runner's lease expires (judged by the server's clock, to a second).
	require.Eventually(t, func() bool {
		info, err := lease.Describe(f.ctx, g.client, g.cfg.Clock, f.namespace, lease.Name("abandoned"))
		return err == nil && info != nil && info.Expired
	}, 10*time.Second, 100*time.Millisecond)
	_, err = g.engine.Execute(context.Background(), ExecuteOptions{Namespace: f.namespace, Plan: "abandoned"})
	var held *LockedError
	require.ErrorAs(t, err, &held)
	assert.Contains(t, held.Holder, "execution "+name+", which is Running but has no live runner: resume it (drctl resume "+name+") or cancel it")

	cr, err := g.engine.Cancel(context.Background(), f.namespace, name)
	require.NoError(t, err)
	assert.Contains(t, cr.Message, "had no live runner; recorded it Canceled")
	exec := f.execution(name)
	assert.Equal(t, v1alpha1.PhaseCanceled, exec.Status.Phase)
	assert.Equal(t, []string{"s1/w1/slow=Canceled", "s1/w1/after=Skipped", "s2/w2/x=Skipped"}, actionPhases(exec))
	assert.Contains(t, actionStatus(exec, "s1", "w1", "slow").Message, "may or may not have completed")
	assert.Nil(t, f.plan("abandoned").Status.CurrentExecution)

	res, err := g.engine.Execute(context.Background(), ExecuteOptions{Namespace: f.namespace, Plan: "abandoned"})
	require.NoError(t, err, "the plan runs again")
	assert.Equal(t, v1alpha1.PhaseSucceeded, res.Phase)
}
