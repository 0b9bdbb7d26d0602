package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// run starts an execution of plan in the background and returns its name (once it exists) and
// the channel its result arrives on.
func (f *fixture) run(ctx context.Context, plan string, tweak ...func(*ExecuteOptions)) (string, <-chan *Result) {
	f.t.Helper()
	started := make(chan string, 1)
	done := make(chan *Result, 1)
	opts := ExecuteOptions{Namespace: f.namespace, Plan: plan, OnStart: func(e *v1alpha1.DRPlanExecution) { started <- e.Name }}
	for _, fn := range tweak {
		fn(&opts)
	}
	go func() {
		res, err := f.engine.Execute(ctx, opts)
		if err != nil {
			res = &Result{Phase: v1alpha1.PhaseUnknown, Message: err.Error()}
		}
		done <- res
	}()
	select {
	case name := <-started:
		return name, done
	case res := <-done:
		f.t.Fatalf("the run ended before it started: %s", res.Message)
	}
	return "", nil
}

func askOnFailure(o *ExecuteOptions) { o.OnFailure = v1alpha1.OnFailureAsk }

// waitFor waits until the stored record (journal folded in) satisfies cond.
func (f *fixture) waitFor(name, what string, cond func(*v1alpha1.DRPlanExecution) bool) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	var last *v1alpha1.DRPlanExecution
	require.Eventually(f.t, func() bool { last = f.durable(name); return cond(last) }, 15*time.Second, 20*time.Millisecond,
		"waiting for %s of %s", what, name)
	return last
}

func waitingOn(step string) func(*v1alpha1.DRPlanExecution) bool {
	return func(e *v1alpha1.DRPlanExecution) bool {
		for _, w := range e.Status.Waiting {
			if w.Step == step {
				return true
			}
		}
		return false
	}
}

func (f *fixture) signal(name string, verb v1alpha1.SignalVerb, step, reason string) (*SignalResult, error) {
	return f.engine.Signal(f.ctx, f.namespace, name, SignalRequest{Verb: verb, Step: step, Reason: reason})
}

func requireRefused(t *testing.T, err error, why string) {
	t.Helper()
	var invalid *InvalidError
	require.True(t, errors.As(err, &invalid), "want a refusal (InvalidError), got %v", err)
	assert.Contains(t, err.Error(), why)
}

// sender is the user name the test API server gives the tests' client.
func (f *fixture) sender() string {
	by, err := f.engine.whoAmI(f.ctx)
	require.NoError(f.t, err)
	return by
}

func TestPauseHoldsNewActionsUntilContinueAndKeepsTheLease(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h := slowServer(t, 1500*time.Millisecond)
	f.apply(httpWorkflow("w1", srv.URL, "first", "slow", "after") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "pausable"))
	name, done := f.run(f.ctx, "pausable")
	require.Eventually(t, func() bool { return h.count("/w1/slow") == 1 }, 5*time.Second, 10*time.Millisecond)

	operator := f.another(shortLease) // a second process sends the signals
	res, err := operator.signal(name, v1alpha1.SignalPause, "", "checking replication lag")
	require.NoError(t, err)
	assert.Contains(t, res.Message, "Pause sent to "+name)
	exec := f.waitFor(name, "the Paused condition", Paused)
	c := meta.FindStatusCondition(exec.Status.Conditions, ConditionPaused)
	assert.Equal(t, "paused by "+f.sender()+": checking replication lag", c.Message)

	_, err = operator.signal(name, v1alpha1.SignalPause, "", "")
	requireRefused(t, err, "is already paused")

	// The running action finishes; nothing new starts, for well over a lease's duration.
	f.waitFor(name, "slow to finish", func(e *v1alpha1.DRPlanExecution) bool {
		return actionStatus(e, "s1", "w1", "slow").Phase == v1alpha1.PhaseSucceeded
	})
	time.Sleep(4 * time.Second)
	assert.Equal(t, 0, h.count("/w1/after"), "no action starts while paused")
	exec = f.durable(name)
	assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/slow=Succeeded", "s1/w1/after=Pending", "s2/w2/last=Pending"}, actionPhases(exec))
	info, err := lease.Describe(f.ctx, f.client, f.engine.cfg.Clock, f.namespace, lease.Name("pausable"))
	require.NoError(t, err)
	require.NotNil(t, info)
	assert.False(t, info.Expired, "the paused run keeps the plan's lease")
	assert.Contains(t, info.Holder, name)
	_, err = operator.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "pausable"})
	var locked *LockedError
	require.True(t, errors.As(err, &locked), "a paused run still holds the plan: %v", err)

	_, err = operator.signal(name, v1alpha1.SignalContinue, "", "lag is fine")
	require.NoError(t, err)
	_, err = operator.signal(name, v1alpha1.SignalContinue, "", "")
	requireRefused(t, err, "is not paused")
	final := <-done
	require.Equal(t, v1alpha1.PhaseSucceeded, final.Phase, final.Message)
	exec = f.execution(name)
	assert.Equal(t, 1, h.count("/w1/after"))
	assert.False(t, Paused(exec))
	require.Len(t, exec.Status.Signals, 2)
	assert.Equal(t, []string{"Pause=Applied", "Continue=Applied"}, signalResults(exec))
	assert.Equal(t, "lag is fine", exec.Status.Signals[1].Reason)
	assert.Equal(t, f.sender(), exec.Status.Signals[1].By)

	_, err = operator.signal(name, v1alpha1.SignalPause, "", "")
	requireRefused(t, err, "is Succeeded; pause applies only to a running execution")
	assert.Contains(t, f.kubeEventReasons(name), "PauseSignal")
}

func signalResults(exec *v1alpha1.DRPlanExecution) []string {
	var out []string
	for _, s := range exec.Status.Signals {
		out = append(out, string(s.Verb)+"="+s.Result)
	}
	return out
}

// kubeEventReasons lists the reasons of the Kubernetes Events recorded about an execution.
func (f *fixture) kubeEventReasons(name string) []string {
	f.t.Helper()
	var out []string
	require.Eventually(f.t, func() bool {
		out = nil
		list := &corev1.EventList{}
		require.NoError(f.t, f.client.List(f.ctx, list, client.InNamespace(f.namespace)))
		for _, e := range list.Items {
			if e.InvolvedObject.Name == name && e.Namespace == f.namespace {
				out = append(out, e.Reason)
			}
		}
		return len(out) > 0
	}, 5*time.Second, 50*time.Millisecond)
	return out
}

const gatedPlan = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}]}
  - name: s2
    dependsOn: [s1]
    approval: {message: "check that the replica caught up", timeout: %q}
    workflows: [{workflowRef: {name: w2}}]
`

func TestApprovalGateWaitsForAnotherProcess(t *testing.T) {
	f := newFixture(t)
	srv, h := slowServer(t, 0)
	f.apply(httpWorkflow("w1", srv.URL, "first") + "---\n" + httpWorkflow("w2", srv.URL, "risky") + "---\n" + fmt.Sprintf(gatedPlan, "gated", "10m"))
	operator := f.another()

	t.Run("approve", func(t *testing.T) {
		name, done := f.run(f.ctx, "gated")
		exec := f.waitFor(name, "the approval wait", waitingOn("s2"))
		assert.Equal(t, v1alpha1.DecisionApproval, exec.Status.Waiting[0].Kind)
		assert.Equal(t, "check that the replica caught up", exec.Status.Waiting[0].Message)
		require.NotNil(t, exec.Status.Waiting[0].Deadline)
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s2/w2/risky=Pending"}, actionPhases(exec))
		assert.Equal(t, 0, h.count("/w2/risky"))

		_, err := operator.signal(name, v1alpha1.SignalRetry, "", "")
		requireRefused(t, err, "retry applies to no step of "+name+": s2 waits for approve or reject")
		_, err = operator.signal(name, v1alpha1.SignalApprove, "s9", "")
		requireRefused(t, err, `"s9" is not waiting for approve; what waits for it: s2`)
		res, err := operator.signal(name, v1alpha1.SignalApprove, "", "replica lag 0s")
		require.NoError(t, err)
		assert.Equal(t, "s2", res.Signal.Step)
		final := <-done
		require.Equal(t, v1alpha1.PhaseSucceeded, final.Phase, final.Message)
		exec = f.execution(name)
		assert.Empty(t, exec.Status.Waiting)
		require.Len(t, exec.Status.Signals, 1)
		assert.Equal(t, v1alpha1.SignalRecord{ID: res.Signal.ID, Verb: v1alpha1.SignalApprove, Step: "s2", By: f.sender(),
			At: exec.Status.Signals[0].At, Reason: "replica lag 0s", Result: v1alpha1.SignalApplied, Message: "approved: the stage starts"}, exec.Status.Signals[0])
		assert.Equal(t, 1, h.count("/w2/risky"))
	})

	t.Run("reject", func(t *testing.T) {
		name, done := f.run(f.ctx, "gated")
		f.waitFor(name, "the approval wait", waitingOn("s2"))
		_, err := operator.signal(name, v1alpha1.SignalReject, "s2", "")
		requireRefused(t, err, "reject needs a reason")
		_, err = operator.signal(name, v1alpha1.SignalReject, "s2", "replica is 10 min behind")
		require.NoError(t, err)
		final := <-done
		require.Equal(t, v1alpha1.PhaseFailed, final.Phase)
		assert.Contains(t, final.Message, "stage s2: approval rejected by "+f.sender()+": replica is 10 min behind")
		exec := f.execution(name)
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s2/w2/risky=Skipped"}, actionPhases(exec))
		assert.Equal(t, 1, h.count("/w2/risky"), "only the approved run reached it")
	})

	t.Run("timeout", func(t *testing.T) {
		f.apply(fmt.Sprintf(gatedPlan, "gated-briefly", "1s"))
		res := f.execute("gated-briefly")
		require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
		assert.Contains(t, res.Message, "stage s2: approval not given within 1s")
	})

	t.Run("a pause stops the timeout's clock", func(t *testing.T) {
		f.apply(fmt.Sprintf(gatedPlan, "gated-paused", "2s"))
		name, done := f.run(f.ctx, "gated-paused")
		before := f.waitFor(name, "the approval wait", waitingOn("s2")).Status.Waiting[0].Deadline
		_, err := operator.signal(name, v1alpha1.SignalPause, "", "investigating")
		require.NoError(t, err)
		f.waitFor(name, "the pause", Paused)
		f.waitFor(name, "the stopped clock", func(e *v1alpha1.DRPlanExecution) bool {
			return len(e.Status.Waiting) == 1 && e.Status.Waiting[0].Deadline == nil && e.Status.Waiting[0].TimeLeft != ""
		})
		time.Sleep(3 * time.Second)
		exec := f.durable(name)
		require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase, "the deadline passed while paused: it does not count")
		_, err = operator.signal(name, v1alpha1.SignalContinue, "", "")
		require.NoError(t, err)
		f.waitFor(name, "the deadline moved on by the time paused", func(e *v1alpha1.DRPlanExecution) bool {
			return len(e.Status.Waiting) == 1 && e.Status.Waiting[0].Deadline != nil && e.Status.Waiting[0].Deadline.After(before.Add(2*time.Second)) &&
				e.Status.Waiting[0].TimeLeft == ""
		})
		_, err = operator.signal(name, v1alpha1.SignalApprove, "", "")
		require.NoError(t, err)
		res := <-done
		require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	})
}

// flakyServer answers 500 to /w1/flaky until fixed is set, and 200 to everything else.
func flakyServer(t *testing.T) (*httptest.Server, *hits, *atomic.Bool) {
	h, fixed := &hits{}, &atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		if r.URL.Path == "/w1/flaky" && !fixed.Load() {
			http.Error(w, "primary still read-only", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, h, fixed
}

func TestAFailedActionWaitsForRetryOrSkip(t *testing.T) {
	f := newFixture(t)
	srv, h, fixed := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "first", "flaky", "after") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "flaky"))
	operator := f.another()

	t.Run("retry after fixing the endpoint", func(t *testing.T) {
		fixed.Store(false)
		name, done := f.run(f.ctx, "flaky", askOnFailure)
		exec := f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
		assert.Equal(t, v1alpha1.DecisionFailure, exec.Status.Waiting[0].Kind)
		assert.Contains(t, exec.Status.Waiting[0].Message, "500")
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/flaky=Failed", "s1/w1/after=Pending", "s2/w2/last=Pending"}, actionPhases(exec))
		assert.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase, "the run waits instead of ending")

		_, err := operator.signal(name, v1alpha1.SignalApprove, "", "")
		requireRefused(t, err, "approve applies to no step of "+name+": s1/w1/flaky waits for retry, skip or reject")
		fixed.Store(true)
		_, err = operator.signal(name, v1alpha1.SignalRetry, "flaky", "made the primary writable")
		require.NoError(t, err)
		final := <-done
		require.Equal(t, v1alpha1.PhaseSucceeded, final.Phase, final.Message)
		exec = f.execution(name)
		assert.Equal(t, int32(2), actionStatus(exec, "s1", "w1", "flaky").Attempts)
		assert.Equal(t, 2, h.count("/w1/flaky"))
		assert.Equal(t, 1, h.count("/w1/after"))
		assert.Equal(t, []string{"Retry=Applied"}, signalResults(exec))
	})

	t.Run("skip with a reason", func(t *testing.T) {
		fixed.Store(false)
		name, done := f.run(f.ctx, "flaky", askOnFailure)
		f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
		_, err := operator.signal(name, v1alpha1.SignalSkip, "w1/flaky", "")
		requireRefused(t, err, "skip needs a reason")
		_, err = operator.signal(name, v1alpha1.SignalSkip, "w1/flaky", "cache warm-up is optional today")
		require.NoError(t, err)
		final := <-done
		require.Equal(t, v1alpha1.PhaseSucceeded, final.Phase, final.Message)
		exec := f.execution(name)
		flaky := actionStatus(exec, "s1", "w1", "flaky")
		assert.Equal(t, v1alpha1.PhaseSkipped, flaky.Phase)
		assert.Contains(t, flaky.Message, "skipped by "+f.sender()+": cache warm-up is optional today; it had failed:")
		assert.Equal(t, int32(1), flaky.Attempts, "the record keeps that it ran")
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/flaky=Skipped", "s1/w1/after=Succeeded", "s2/w2/last=Succeeded"}, actionPhases(exec))
	})

	t.Run("reject ends it as the failure policy says", func(t *testing.T) {
		fixed.Store(false)
		name, done := f.run(f.ctx, "flaky", askOnFailure)
		f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
		_, err := operator.signal(name, v1alpha1.SignalReject, "", "give up")
		require.NoError(t, err)
		final := <-done
		require.Equal(t, v1alpha1.PhaseFailed, final.Phase)
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/flaky=Failed", "s1/w1/after=Skipped", "s2/w2/last=Skipped"}, actionPhases(f.execution(name)))
	})

	t.Run("cancel while waiting", func(t *testing.T) {
		fixed.Store(false)
		name, done := f.run(f.ctx, "flaky", askOnFailure)
		f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
		_, err := operator.engine.Cancel(f.ctx, f.namespace, name)
		require.NoError(t, err)
		final := <-done
		require.Equal(t, v1alpha1.PhaseCanceled, final.Phase)
		exec := f.execution(name)
		assert.Empty(t, exec.Status.Waiting)
		assert.Equal(t, []string{"s1/w1/first=Succeeded", "s1/w1/flaky=Failed", "s1/w1/after=Skipped", "s2/w2/last=Skipped"}, actionPhases(exec))
	})

	t.Run("without ask the run ends at once", func(t *testing.T) {
		fixed.Store(false)
		res := f.execute("flaky")
		require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
		assert.Empty(t, f.execution(res.Execution.Name).Status.Waiting)
	})
}

func TestACrashWhileWaitingKeepsTheDecisionForTheResume(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		verb       v1alpha1.SignalVerb
		plan       string
		opts       []func(*ExecuteOptions)
	}{
		{name: "failure", step: "s1/w1/flaky", verb: v1alpha1.SignalRetry, plan: fmt.Sprintf(twoStagePlan, "p"), opts: []func(*ExecuteOptions){askOnFailure}},
		{name: "approval", step: "s2", verb: v1alpha1.SignalApprove, plan: fmt.Sprintf(gatedPlan, "p", "10m")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, shortLease)
			srv, h, fixed := flakyServer(t)
			f.apply(httpWorkflow("w1", srv.URL, "first", "flaky") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + tc.plan)
			fixed.Store(tc.name == "approval")
			ctx, kill := context.WithCancel(context.Background())
			name, done := f.run(ctx, "p", tc.opts...)
			waiting := f.waitFor(name, "the decision", waitingOn(tc.step)).Status.Waiting
			kill() // the laptop dies while the run waits
			<-done
			exec := f.durable(name)
			require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase)
			require.Equal(t, waiting, exec.Status.Waiting, "the record keeps the pending decision")

			// The decision is sent while no runner is alive; a resume applies it.
			fixed.Store(true)
			operator := f.another(shortLease)
			_, err := operator.signal(name, tc.verb, "", "sent while the runner was down")
			require.NoError(t, err)
			res, err := operator.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
			require.NoError(t, err)
			require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
			exec = f.execution(name)
			assert.Equal(t, []string{string(tc.verb) + "=Applied"}, signalResults(exec))
			assert.Equal(t, 1, h.count("/w1/first"), "finished actions are never repeated")
			assert.Equal(t, 1, h.count("/w2/last"))
			assert.Empty(t, exec.Status.Waiting)
		})
	}
}

// A revert run with onFailure Ask holds a rollback that fails until an operator decides.
func TestARevertCanAskOnAFailedRollback(t *testing.T) {
	f := newFixture(t)
	srv, h, fixed := flakyServer(t)
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w1}
spec:
  actions:
  - name: switch
    type: HTTP
    http: {url: "%[1]s/w1/switch", method: POST}
    rollback: {type: HTTP, http: {url: "%[1]s/w1/flaky", method: POST}}
`, srv.URL))
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: undoable}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: w1}}]}]
`)
	forward := f.execute("undoable")
	require.Equal(t, v1alpha1.PhaseSucceeded, forward.Phase, forward.Message)

	done := make(chan *Result, 1)
	started := make(chan string, 1)
	go func() {
		res, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: forward.Execution.Name, OnFailure: v1alpha1.OnFailureAsk,
			OnStart: func(e *v1alpha1.DRPlanExecution) { started <- e.Name }})
		require.NoError(t, err)
		done <- res
	}()
	name := <-started
	f.waitFor(name, "the failed rollback's decision", waitingOn("s/w1/switch"))
	fixed.Store(true)
	_, err := f.another().signal(name, v1alpha1.SignalRetry, "switch", "")
	require.NoError(t, err)
	res := <-done
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, 2, h.count("/w1/flaky"))
}

// A run cut off from the API server while it waits ends Unknown and keeps what it waited for,
// and its pause: the resume holds them again.
func TestAnUnknownEndKeepsThePauseAndTheWaitsForTheResume(t *testing.T) {
	f := newFixture(t, shortLease, func(c *Config) {
		c.PartitionTimeout = time.Second
		c.LeaseRetryPeriod = 200 * time.Millisecond
	})
	srv, h, fixed := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "first", "flaky") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	name, done := f.run(f.ctx, "p", askOnFailure)
	f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
	operator := f.another(shortLease)
	_, err := operator.signal(name, v1alpha1.SignalPause, "", "hold everything")
	require.NoError(t, err)
	f.waitFor(name, "the pause", Paused)
	f.cut.Store(true) // the runner loses the API server for longer than the partition timeout
	time.Sleep(2 * time.Second)
	f.cut.Store(false)
	res := <-done
	require.Equal(t, v1alpha1.PhaseUnknown, res.Phase, res.Message)
	exec := f.execution(name)
	require.Equal(t, v1alpha1.PhaseUnknown, exec.Status.Phase)
	assert.True(t, Paused(exec), "the pause holds the resume too")
	require.Len(t, exec.Status.Waiting, 1, "so does the decision")

	fixed.Store(true)
	_, err = operator.engine.Signal(f.ctx, f.namespace, name, SignalRequest{Verb: v1alpha1.SignalRetry})
	requireRefused(t, err, "is Unknown") // a signal goes to a running execution: resume it first
	resumed := make(chan *Result, 1)
	go func() {
		res, err := operator.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
		require.NoError(t, err)
		resumed <- res
	}()
	f.waitFor(name, "the resumed run", func(e *v1alpha1.DRPlanExecution) bool {
		return e.Status.Phase == v1alpha1.PhaseRunning && len(e.Status.Waiting) == 1
	})
	_, err = operator.signal(name, v1alpha1.SignalRetry, "", "")
	require.NoError(t, err)
	time.Sleep(time.Second)
	assert.Equal(t, 1, h.count("/w1/flaky"), "the retry waits for the continue")
	_, err = operator.signal(name, v1alpha1.SignalContinue, "", "")
	require.NoError(t, err)
	res = <-resumed
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, 2, h.count("/w1/flaky"))
}

// A retry decided while the run is paused, whose runner then dies before the new attempt
// starts, is run by the resume.
func TestARetryDecidedButNotStartedSurvivesACrash(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h, fixed := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "first", "flaky") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	ctx, kill := context.WithCancel(context.Background())
	name, done := f.run(ctx, "p", askOnFailure)
	f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
	operator := f.another(shortLease)
	_, err := operator.signal(name, v1alpha1.SignalPause, "", "")
	require.NoError(t, err)
	fixed.Store(true)
	_, err = operator.signal(name, v1alpha1.SignalRetry, "", "")
	require.NoError(t, err)
	exec := f.waitFor(name, "the retry decided", func(e *v1alpha1.DRPlanExecution) bool {
		return actionStatus(e, "s1", "w1", "flaky").Phase == v1alpha1.PhasePending
	})
	assert.Empty(t, exec.Status.Waiting)
	kill() // before the paused attempt starts
	<-done
	_, err = operator.signal(name, v1alpha1.SignalContinue, "", "")
	require.NoError(t, err)
	res, err := operator.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, 2, h.count("/w1/flaky"))
	assert.Equal(t, int32(2), actionStatus(f.execution(name), "s1", "w1", "flaky").Attempts)
}

// A stage waiting at its gate gives up when another stage fails under failurePolicy Stop: no
// stage starts after that, and the run ends instead of waiting for an answer.
func TestAStopHaltReleasesAStageWaitingForApproval(t *testing.T) {
	f := newFixture(t)
	srv, _, _ := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "flaky") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + httpWorkflow("w0", srv.URL, "zero") + "---\n" +
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: halting}
spec:
  stages:
  - {name: zero, workflows: [{workflowRef: {name: w0}}]}
  - {name: a, dependsOn: [zero], workflows: [{workflowRef: {name: w1}}]}
  - {name: b, dependsOn: [zero], approval: {message: "go?"}, workflows: [{workflowRef: {name: w2}}]}
`)
	res := f.execute("halting")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, res.Message)
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, []string{"zero/w0/zero=Succeeded", "a/w1/flaky=Failed", "b/w2/last=Skipped"}, actionPhases(exec))
	assert.Equal(t, v1alpha1.PhaseSkipped, exec.Status.StageStatuses[2].Phase)
	assert.Empty(t, exec.Status.Waiting)
}

// A signal the record cannot hold (edited by hand, or from a newer drctl) is ignored, and the
// run goes on taking the others.
func TestAMalformedSignalIsIgnored(t *testing.T) {
	f := newFixture(t)
	srv, _, fixed := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "first", "flaky") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(twoStagePlan, "p"))
	name, done := f.run(f.ctx, "p", askOnFailure)
	f.waitFor(name, "the failure decision", waitingOn("s1/w1/flaky"))
	exec := f.execution(name)
	exec.Annotations[AnnotationSignals] = `[{"id":"1","verb":"pause"},{"id":"2","verb":"Explode","by":"x","at":"2026-11-30T00:00:00Z"}]`
	require.NoError(t, f.client.Update(f.ctx, exec))
	fixed.Store(true)
	_, err := f.another().signal(name, v1alpha1.SignalRetry, "", "")
	require.NoError(t, err)
	res := <-done
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"Retry=Applied"}, signalResults(f.execution(name)))
}

// A gate whose run was paused when its runner died keeps the time it had left: the resume
// neither times it out at once nor waits forever.
func TestAPausedGatesTimeLeftSurvivesACrash(t *testing.T) {
	f := newFixture(t, shortLease)
	srv, h, _ := flakyServer(t)
	f.apply(httpWorkflow("w1", srv.URL, "first") + "---\n" + httpWorkflow("w2", srv.URL, "last") + "---\n" + fmt.Sprintf(gatedPlan, "p", "4s"))
	ctx, kill := context.WithCancel(context.Background())
	name, done := f.run(ctx, "p")
	f.waitFor(name, "the approval wait", waitingOn("s2"))
	operator := f.another(shortLease)
	_, err := operator.signal(name, v1alpha1.SignalPause, "", "")
	require.NoError(t, err)
	exec := f.waitFor(name, "the stopped clock", func(e *v1alpha1.DRPlanExecution) bool {
		return len(e.Status.Waiting) == 1 && e.Status.Waiting[0].TimeLeft != ""
	})
	left, err := time.ParseDuration(exec.Status.Waiting[0].TimeLeft)
	require.NoError(t, err)
	assert.InDelta(t, 4, left.Seconds(), 1)
	kill()
	<-done
	time.Sleep(5 * time.Second) // longer than the gate's timeout: paused, it does not count

	resumed := make(chan *Result, 1)
	go func() {
		res, err := operator.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
		require.NoError(t, err)
		resumed <- res
	}()
	f.waitFor(name, "the resumed wait", func(e *v1alpha1.DRPlanExecution) bool {
		return e.Status.Runner != nil && e.Status.Runner.Epoch > exec.Status.Runner.Epoch
	})
	_, err = operator.signal(name, v1alpha1.SignalContinue, "", "")
	require.NoError(t, err)
	f.waitFor(name, "the clock running again", func(e *v1alpha1.DRPlanExecution) bool {
		return len(e.Status.Waiting) == 1 && e.Status.Waiting[0].Deadline != nil
	})
	_, err = operator.signal(name, v1alpha1.SignalApprove, "", "")
	require.NoError(t, err)
	res := <-resumed
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, 1, h.count("/w2/last"))
}
