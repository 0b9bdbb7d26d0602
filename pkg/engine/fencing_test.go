package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A runner cut off from the API server for longer than its lease starts nothing once its renew
// deadline passes; another runner resumes; when the first comes back it writes nothing, and the
// record is the second's alone.
func TestACutOffRunnerStopsAtItsRenewDeadlineAndNeverOverwritesTheNewOwner(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h := slowServer(t, 2*time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "split"))

	var name string
	started := make(chan struct{})
	resultA := make(chan *Result, 1)
	go func() {
		res, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "split",
			OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name; close(started) }})
		assert.NoError(t, err)
		resultA <- res
	}()
	<-started
	require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
	f.cut.Store(true) // A loses the API server in the middle of slow, which goes on for 2 s

	// B resumes once A's lease has expired (3 s, judged by the server's clock).
	g := f.another(shortLease)
	res, err := g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)

	f.cut.Store(false) // A comes back
	var a *Result
	select {
	case a = <-resultA:
	case <-time.After(30 * time.Second):
		t.Fatal("runner A never ended")
	}
	assert.Equal(t, v1alpha1.PhaseUnknown, a.Phase, a.Message)
	assert.Contains(t, a.Message, "taken over by another runner")

	assert.Equal(t, 2, h.count("/w1/slow"), "A's interrupted action and B's re-run (at-least-once)")
	assert.Equal(t, 1, h.count("/w1/after"), "A started nothing after its deadline; B ran it once")
	assert.Equal(t, 1, h.count("/w2/last"))
	exec := f.execution(name)
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.Phase, "B's end stands")
	assert.Equal(t, []string{"s1/w1/slow=Succeeded", "s1/w1/after=Succeeded", "s2/w2/last=Succeeded"}, actionPhases(exec))
	assert.Contains(t, exec.Status.Runner.Holder, g.engine.instance, "the record is stamped by B")
	assert.Greater(t, exec.Status.Runner.Epoch, int32(0))
}

// A record stamped by a newer owner is never written again by the old one, even while the old
// one still believes it holds the plan (its Lease untouched): the fence, not the Lease, decides.
func TestARecordStampedByANewerOwnerIsNeverOverwritten(t *testing.T) {
	f := newFixture(t)
	srv, h := slowServer(t, time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "fenced"))
	type takeover struct {
		rv  string // the resourceVersion the newer owner wrote
		err error
	}
	taken := make(chan takeover, 1)
	go func() {
		rv, err := func() (string, error) {
			deadline := time.Now().Add(5 * time.Second)
			for h.count("/w1/slow") == 0 {
				if time.Now().After(deadline) {
					return "", fmt.Errorf("slow never started")
				}
				time.Sleep(5 * time.Millisecond)
			}
			// A newer owner (epoch 99) takes the journal and then the record over, as claim
			// does, and ends the run; like claim, it reads again when the old owner wrote meanwhile.
			newer := fence{holder: "execution elsewhere by someone@else pid 9", epoch: 99}
			name := f.currentExecution()
			for attempt := 0; attempt < 20; attempt++ {
				exec := &v1alpha1.DRPlanExecution{}
				_, cm, err := readJournal(f.ctx, f.client, &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: name}})
				if err == nil {
					err = f.client.Get(f.ctx, objectKey(f.namespace, name), exec)
				}
				if err == nil && cm == nil {
					return "", fmt.Errorf("the runner keeps no journal")
				}
				if err == nil {
					err = newJournalWriter(f.client, exec, newer).takeOver(f.ctx, cm, nil)
				}
				if err == nil {
					exec.Status.Runner = &v1alpha1.RunnerInfo{}
					newer.stamp(exec.Status.Runner)
					exec.Status.Phase, exec.Status.Message = v1alpha1.PhaseCanceled, "canceled by the newer owner"
					err = f.client.Status().Update(f.ctx, exec)
				}
				if err == nil {
					return exec.ResourceVersion, nil
				}
				if !errors.Is(err, errJournalMoved) && !apierrors.IsConflict(err) {
					return "", err
				}
			}
			return "", fmt.Errorf("the takeover kept conflicting")
		}()
		taken <- takeover{rv, err}
	}()
	res := f.execute("fenced")
	took := <-taken
	require.NoError(t, took.err)
	require.Equal(t, v1alpha1.PhaseUnknown, res.Phase, res.Message)
	assert.Equal(t, 0, h.count("/w1/after"), "nothing started once the record was taken")
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, v1alpha1.PhaseCanceled, exec.Status.Phase)
	assert.Equal(t, "canceled by the newer owner", exec.Status.Message)
	assert.Equal(t, took.rv, exec.ResourceVersion, "the old owner wrote nothing after the takeover")
}

// An action longer than the partition timeout is no partition: nothing is written while it runs,
// and nothing failed.
func TestAnActionLongerThanThePartitionTimeoutIsNoPartition(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PartitionTimeout = time.Second })
	srv, h := slowServer(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "long"))
	res := f.execute("long")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, 1, h.count("/w1/after"))
}

// A status write that can never succeed (the execution was deleted) stops the run: no further
// action, the Lease released, and an outcome that says why.
func TestARecordThatCannotBeWrittenStopsTheRun(t *testing.T) {
	f := newFixture(t)
	srv, h := slowServer(t, time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "deleted"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
		require.NoError(t, f.client.Delete(f.ctx, f.execution(f.currentExecution())))
	}()
	done := make(chan *Result, 1)
	go func() { done <- f.execute("deleted") }()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop: it kept retrying a write that cannot succeed")
	}
	assert.Equal(t, v1alpha1.PhaseUnknown, res.Phase)
	assert.Contains(t, res.Message, "record could not be written")
	assert.Contains(t, res.Message, "not found")
	assert.Equal(t, 0, h.count("/w1/after"), "no action started after the failed write")
	info, err := lease.Describe(f.ctx, f.client, f.cfg.Clock, f.namespace, lease.Name("deleted"))
	require.NoError(t, err)
	assert.Nil(t, info, "the lease was released")
}

// Releasing the Lease never races its renewal: a revert right after a run always gets the plan.
func TestARevertRightAfterARunIsNeverLocked(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.LeaseRetryPeriod = 5 * time.Millisecond })
	srv, _ := slowServer(t, 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + "---\n" + httpWorkflow("w2", srv.URL, "b") + "---\n" + fmt.Sprintf(twoStagePlan, "quick"))
	for i := range 15 {
		res := f.execute("quick")
		require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, "run %d: %s", i, res.Message)
		rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
		var held *LockedError
		require.False(t, errors.As(err, &held), "run %d: the plan was still locked after the run: %v", i, err)
		require.NoError(t, err)
		require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase)
	}
}

// A resume rebuilds everything from the record, including that a stage failed under the Stop
// policy: a stage that depends on it does not start after the resume.
func TestResumeRemembersAStopPolicyFailure(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h := failingServer(t, "/bad/fail", 3*time.Second)
	f.apply(httpWorkflow("bad", srv.URL, "fail") + "---\n" + httpWorkflow("later", srv.URL, "x") + "---\n" +
		httpWorkflow("other", srv.URL, "slow") + "---\n" + `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: halted}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: bad}}]}
  - {name: s3, workflows: [{workflowRef: {name: other}}]}
  - {name: s2, dependsOn: [s1], workflows: [{workflowRef: {name: later}}]}
`)
	ctx, kill := context.WithCancel(context.Background())
	var name string
	go func() {
		require.Eventually(t, func() bool { return h.count("/other/slow") == 1 && h.count("/bad/fail") == 1 }, 5*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool {
			return f.execution(name).Status.StageStatuses[0].Phase == v1alpha1.PhaseFailed
		}, 5*time.Second, 10*time.Millisecond)
		kill() // the laptop dies while s3 still runs
	}()
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "halted", OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)
	exec := f.durable(name)
	require.Equal(t, []string{"s1/bad/fail=Failed", "s3/other/slow=Running", "s2/later/x=Pending"}, actionPhases(exec))

	g := f.another(shortLease)
	res, err := g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	assert.Equal(t, 0, h.count("/later/x"), "the stage after the failed one never started")
	assert.Equal(t, []string{"s1/bad/fail=Failed", "s3/other/slow=Succeeded", "s2/later/x=Skipped"}, actionPhases(f.execution(name)))
}

// Without permission to watch, a cancel is still seen (by reading the execution).
func TestCancelIsSeenWithoutWatchPermission(t *testing.T) {
	f := newFixture(t)
	f.noWatch.Store(true)
	srv, h := slowServer(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "never") + "---\n" + fmt.Sprintf(twoStagePlan, "nowatch"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
		_, err := f.engine.Cancel(f.ctx, f.namespace, f.currentExecution())
		require.NoError(t, err)
	}()
	res := f.execute("nowatch")
	assert.Equal(t, v1alpha1.PhaseCanceled, res.Phase)
	assert.Equal(t, 0, h.count("/w1/after"))
	assert.Equal(t, []string{"s1/w1/slow=Succeeded", "s1/w1/after=Skipped", "s2/w2/never=Skipped"}, actionPhases(f.execution(res.Execution.Name)))
}

// A cancel requested while no runner was alive is honoured by the resume.
func TestResumeHonoursACancelRequestedWhileNoRunnerWasAlive(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h := slowServer(t, 2*time.Second)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "never") + "---\n" + fmt.Sprintf(twoStagePlan, "dead"))
	ctx, kill := context.WithCancel(context.Background())
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
		kill()
	}()
	var name string
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "dead", OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)
	// The dead runner's lease still looks live: the request is only recorded, as an annotation.
	cr, err := f.engine.Cancel(f.ctx, f.namespace, name)
	require.NoError(t, err)
	require.Contains(t, cr.Message, "cancel requested")
	require.Contains(t, cr.Message, "If that runner is gone, its lock expires at ")
	require.Contains(t, cr.Message, "then run `drctl cancel "+name+"` again to record the end, or `drctl resume "+name+"`")

	g := f.another(shortLease)
	res, err := g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseCanceled, res.Phase)
	assert.Equal(t, 0, h.count("/w1/after"))
	assert.Equal(t, 0, h.count("/w2/never"))
	exec := f.execution(name)
	for _, p := range actionPhases(exec) {
		assert.NotContains(t, p, "=Running", "no action is left Running")
	}
	assert.Nil(t, f.plan("dead").Status.CurrentExecution)
}

// An Unknown run (its runner was cut off) is not a dead end: it can be resumed to its end, or
// reverted as it stands.
func TestAnUnknownRunCanBeResumedOrReverted(t *testing.T) {
	for _, way := range []string{"resume", "revert"} {
		t.Run(way, func(t *testing.T) {
			f, h, name := unknownRun(t)
			if way == "resume" {
				res, err := f.engine.Resume(f.ctx, ResumeOptions{Namespace: f.namespace, Execution: name})
				require.NoError(t, err)
				assert.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
				assert.Equal(t, 1, h.count("/w1/slow"), "what finished is not repeated")
				assert.Equal(t, 1, h.count("/w1/after"))
				assert.Equal(t, 1, h.count("/w2/x"))
			} else {
				rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: name})
				require.NoError(t, err)
				assert.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
				assert.Equal(t, 1, h.count("/undo/first"), "what the Unknown run recorded Succeeded is undone")
				target := f.execution(name)
				assert.Equal(t, v1alpha1.PhaseCanceled, target.Status.Phase, "the reverted run is ended, so it cannot be resumed on top of the revert")
				assert.Contains(t, target.Status.Message, "ended Unknown; reverted by "+rev.Execution.Name)
				_, err = f.engine.Resume(f.ctx, ResumeOptions{Namespace: f.namespace, Execution: name})
				assert.ErrorContains(t, err, "already Canceled")
			}
			assert.Nil(t, f.plan("unknown").Status.CurrentExecution, "the plan is free again")
		})
	}
}

// unknownRun runs a plan whose runner loses the API server for well over its partition timeout
// (more than twice) in the middle of an action: the run ends Unknown, and records it once the
// server is back, however long that takes.
func unknownRun(t *testing.T) (*fixture, *hits, string) {
	f := newFixture(t, func(c *Config) {
		c.PartitionTimeout = time.Second
		c.LeaseRetryPeriod = 200 * time.Millisecond
	})
	srv, h := slowServer(t, 2500*time.Millisecond)
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w1}
spec:
  actions:
  - {name: first, type: HTTP, http: {url: "` + srv.URL + `/w1/first", method: POST}, rollback: {type: HTTP, http: {url: "` + srv.URL + `/undo/first", method: POST}}}
  - {name: slow, type: HTTP, http: {url: "` + srv.URL + `/w1/slow", method: POST}}
  - {name: after, type: HTTP, http: {url: "` + srv.URL + `/w1/after", method: POST}}
---
` + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "unknown"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
		f.cut.Store(true)
		time.Sleep(6 * time.Second) // the action ends after 2.5 s; the cut outlasts that by several timeouts
		f.cut.Store(false)
	}()
	res := f.execute("unknown")
	require.Equal(t, v1alpha1.PhaseUnknown, res.Phase)
	name := res.Execution.Name
	exec := f.execution(name)
	require.Equal(t, v1alpha1.PhaseUnknown, exec.Status.Phase)
	require.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/slow=Succeeded", "s1/w1/after=Pending", "s2/w2/x=Pending"}, actionPhases(exec),
		"what had not started stays Pending (not Skipped), for resume")
	require.Equal(t, name, f.plan("unknown").Status.CurrentExecution.Name, "an Unknown run stays the plan's current one")
	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "unknown"})
	var held *LockedError
	require.ErrorAs(t, err, &held, "no new run starts before the Unknown one is resumed, reverted or canceled")
	require.Contains(t, held.Holder, "which is Unknown but has no live runner: resume it (drctl resume "+name+"), revert it (drctl revert "+name+")")
	return f, h, name
}

// A canceled run whose record then becomes unwritable still ends (it does not wait forever for
// a write that cannot succeed) and frees the plan.
func TestACanceledRunWhoseRecordIsDeletedStillEnds(t *testing.T) {
	f := newFixture(t)
	srv, h := slowServer(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "x") + "---\n" + fmt.Sprintf(twoStagePlan, "gone"))
	go func() {
		require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 5*time.Millisecond)
		name := f.currentExecution()
		_, err := f.engine.Cancel(f.ctx, f.namespace, name)
		require.NoError(t, err)
		require.NoError(t, f.client.Delete(f.ctx, f.execution(name)))
	}()
	done := make(chan *Result, 1)
	go func() { done <- f.execute("gone") }()
	select {
	case res := <-done:
		assert.Equal(t, v1alpha1.PhaseUnknown, res.Phase, res.Message)
		assert.Contains(t, res.Message, "not found")
	case <-time.After(30 * time.Second):
		t.Fatal("the canceled run never ended: it kept retrying a write that cannot succeed")
	}
	info, err := lease.Describe(f.ctx, f.client, f.cfg.Clock, f.namespace, lease.Name("gone"))
	require.NoError(t, err)
	assert.Nil(t, info, "the lease was released")
}

// A resume that finds a cancel request keeps what an earlier runner finished as it was recorded.
func TestACanceledResumeKeepsFinishedWorkflows(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h := slowServer(t, 2*time.Second)
	f.apply(httpWorkflow("fast", srv.URL, "a") + "---\n" + httpWorkflow("other", srv.URL, "slow") + "---\n" + `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: mixed}
spec:
  stages: [{name: both, parallel: true, workflows: [{workflowRef: {name: fast}}, {workflowRef: {name: other}}]}]
`)
	ctx, kill := context.WithCancel(context.Background())
	var name string
	go func() {
		require.Eventually(t, func() bool {
			return h.count("/other/slow") == 1 && name != "" && f.execution(name).Status.StageStatuses[0].WorkflowExecutions[0].Phase == v1alpha1.PhaseSucceeded
		}, 10*time.Second, 10*time.Millisecond)
		kill()
	}()
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "mixed", OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)
	_, err = f.engine.Cancel(f.ctx, f.namespace, name)
	require.NoError(t, err)
	res, err := f.another(shortLease).engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	assert.Equal(t, v1alpha1.PhaseCanceled, res.Phase)
	exec := f.execution(name)
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.StageStatuses[0].WorkflowExecutions[0].Phase, "the finished workflow's record stands")
	assert.Equal(t, []string{"both/fast/a=Succeeded", "both/other/slow=Canceled"}, actionPhases(exec))
}
