package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// runStep runs one step to its end: Skipped, Succeeded, Failed or Canceled (a cancel during a
// retry wait).
//
// Durability, and why one write per action is enough: the record says Running before the
// action's first side effect (durable below), so a crash or a cancel never leaves an action that
// may have acted recorded as Pending or Skipped. Its outcome and outputs are not written on their
// own: they must be durable before the next side effect — any action's, in any workflow — and
// before the end is reported, and every such point waits for a write of the whole state
// (the next action's durable start, recordEnd). So the write that says action k+1 is Running
// also carries action k's outputs, and the writes of parallel workflows coalesce (group commit).
func (r *runner) runStep(ctx context.Context, a at, s *step, vars Vars, recorded v1alpha1.ActionStatus) (v1alpha1.ExecutionPhase, *v1alpha1.ActionOutputs) {
	_, workflow, _ := r.st.names(a)
	if s.skip != "" {
		r.st.finishAction(a, v1alpha1.PhaseSkipped, s.skip, nil)
		return v1alpha1.PhaseSkipped, nil
	}
	if skip, err := r.conditionSkips(s.action.When, vars, recorded); err != nil {
		r.st.finishAction(a, v1alpha1.PhaseFailed, err.Error(), nil)
		r.events.warning("ActionFailed", "Action %s failed: %v", s.name, err)
		return v1alpha1.PhaseFailed, nil
	} else if skip != "" {
		r.st.finishAction(a, v1alpha1.PhaseSkipped, skip, nil)
		return v1alpha1.PhaseSkipped, nil
	}
	// The rollback is not this run's business (and may read this action's own outputs, which do
	// not exist yet): render the action alone.
	action := *s.action
	action.Rollback = nil
	rendered, err := RenderAction(&action, vars)
	if err != nil {
		r.st.finishAction(a, v1alpha1.PhaseFailed, err.Error(), nil)
		r.events.warning("ActionFailed", "Action %s failed: %v", s.name, err)
		return v1alpha1.PhaseFailed, nil
	}
	executor, err := r.e.cfg.Actions.Get(rendered.Type)
	if err != nil {
		r.st.finishAction(a, v1alpha1.PhaseFailed, err.Error(), nil)
		return v1alpha1.PhaseFailed, nil
	}
	policy := retryPolicyOf(rendered, r.e.cfg.MaxRetryDelay)
	timeout, err := actionTimeout(rendered)
	if err != nil {
		r.st.finishAction(a, v1alpha1.PhaseFailed, err.Error(), nil)
		return v1alpha1.PhaseFailed, nil
	}
	req := actions.Request{
		Action:     rendered,
		Namespace:  r.namespace,
		Labels:     map[string]string{LabelExecution: labelValue(r.st.exec.Name), LabelAction: labelValue(r.st.objectWorkflow(a) + "." + s.name)},
		ObjectName: s.objectName,
		Recorded:   recorded.Outputs,
		KeepBody:   s.keepBody,
		// Helm's before-hook-creation: the previous run's hook resource goes first.
		ReplaceExisting: rendered.HookCleanup != nil && rendered.HookCleanup.BeforeCreate,
	}
	env := actions.Env{Client: r.e.cfg.ActionClient, Logger: r.logger.With("action", workflow+"/"+s.name), SensitiveHeaders: r.e.cfg.SensitiveHeaders,
		// A draining runner still holds the plan: it may clean up after its own attempts.
		Holding: func() bool { return r.lease.Remaining() > 0 && (!r.interrupted() || r.stopping() == stopDraining) }}
	first := int(recorded.Attempts) + 1 // a resumed action's attempt count goes on
	var lastOutputs *v1alpha1.ActionOutputs
	// budgetFrom is the attempt the retry policy's count starts from: an operator's retry gives
	// the action its retries again.
	budgetFrom := 1
	switch {
	case recorded.Phase == v1alpha1.PhaseFailed: // a resume: the failure waits for a decision
		lastOutputs = recorded.Outputs
		if phase, decided := r.decideFailure(ctx, a, s, recorded.Message, lastOutputs); decided {
			return phase, lastOutputs
		}
		budgetFrom = first
	case recorded.Phase == v1alpha1.PhasePending && recorded.Attempts > 0: // a resume of a retry decided
		lastOutputs = recorded.Outputs
		budgetFrom = first
	}
	for n := first; ; n++ {
		// Nothing starts while the run is paused. The record says Running before the first side
		// effect, and the Lease is held with a margin when it starts; otherwise the run is
		// interrupted and the action left to resume.
		before := r.st.action(a)
		if !r.startUnlessPaused(ctx, func() { r.st.startAttempt(a, n, rendered) }) {
			return r.stoppedBeforeAttempt(ctx, a, n, recorded, lastOutputs, nil)
		}
		if n == first {
			r.events.normal("ActionStarted", "Action %s started", s.name)
		}
		if !r.durable(ctx) || !r.awaitLease(ctx) {
			return r.stoppedBeforeAttempt(ctx, a, n, recorded, lastOutputs, &before)
		}
		started := time.Now()
		actx, cancel := context.WithTimeoutCause(r.work, timeout, actions.ErrAttemptTimedOut)
		res, err := executor.Execute(actx, env, req)
		cancel()
		if ctx.Err() != nil || r.stopping() == stopLeaseLost {
			// A hard stop, or another runner took the plan over: the record keeps the action
			// Running, for the resume (after a partition, the outcome is still recorded).
			return v1alpha1.PhaseRunning, lastOutputs
		}
		if res.Outputs != nil {
			lastOutputs = res.Outputs
			req.Recorded = res.Outputs
		}
		if len(res.ClusterStatuses) > 0 {
			r.st.recordClusters(a, res.ClusterStatuses)
		}
		if err == nil && res.Skipped != "" {
			r.st.finishAction(a, v1alpha1.PhaseSkipped, res.Skipped, res.Outputs)
			return v1alpha1.PhaseSkipped, res.Outputs
		}
		if err == nil {
			msg := res.Message
			if c := rendered.HookCleanup; c != nil && c.OnSuccess {
				msg += r.deleteHookResource(ctx, env, rendered, res.Outputs, "onSuccess")
			}
			r.st.finishAction(a, v1alpha1.PhaseSucceeded, msg, res.Outputs)
			r.events.normal("ActionSucceeded", "Action %s completed successfully in %s", s.name, time.Since(started).Round(time.Millisecond))
			return v1alpha1.PhaseSucceeded, res.Outputs
		}
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		retries := n - budgetFrom
		if actions.IsPermanent(err) || retries >= policy.limit {
			msg := err.Error()
			if c := rendered.HookCleanup; c != nil && c.OnFailure {
				msg += r.deleteHookResource(ctx, env, rendered, lastOutputs, "onFailure")
			}
			r.st.finishAction(a, v1alpha1.PhaseFailed, msg, lastOutputs)
			r.events.warning("ActionFailed", "Action %s failed: %v", s.name, err)
			if !r.askOnFailure {
				return v1alpha1.PhaseFailed, lastOutputs
			}
			if phase, decided := r.decideFailure(ctx, a, s, msg, lastOutputs); decided {
				return phase, lastOutputs
			}
			budgetFrom = n + 1
			continue
		}
		// Counted from the operator's last retry, whose policy starts afresh.
		r.st.retrying(a, n, retries+1, policy.limit, err, lastOutputs)
		r.events.warning("ActionRetrying", "Action %s retrying (%d/%d): %v", s.name, retries+1, policy.limit, err)
		delay := policy.delay(retries)
		if d, ok := actions.RetryDelay(err); ok && d > delay {
			delay = min(d, policy.max)
		}
		if !r.sleep(ctx, delay) {
			if ctx.Err() != nil || r.interrupted() {
				return v1alpha1.PhaseRunning, lastOutputs
			}
			r.st.finishAction(a, v1alpha1.PhaseCanceled, fmt.Sprintf("canceled while waiting to retry: %v", err), lastOutputs)
			return v1alpha1.PhaseCanceled, lastOutputs
		}
	}
}

// stoppedBeforeAttempt ends a step whose attempt n did not begin because the run stopped: it was
// handed over (before, when set, is the status to take back: the attempt was recorded Running),
// canceled, or interrupted (left as recorded, for resume).
func (r *runner) stoppedBeforeAttempt(ctx context.Context, a at, n int, recorded v1alpha1.ActionStatus, lastOutputs *v1alpha1.ActionOutputs, before *v1alpha1.ActionStatus) (v1alpha1.ExecutionPhase, *v1alpha1.ActionOutputs) {
	if r.stopping() == stopDraining && ctx.Err() == nil {
		// Handed over before this attempt's first side effect: the record must not say it ran
		// (an attempt recorded Running counts as possibly done).
		if before != nil {
			r.st.unstartAttempt(a, *before)
		}
		return v1alpha1.PhaseRunning, lastOutputs
	}
	if r.stopping() == stopCanceled && ctx.Err() == nil {
		// Canceled before this attempt started. If an earlier attempt (or runner) ran it, it may
		// have done something: Canceled, not Skipped, so that revert knows.
		phase, msg := v1alpha1.PhaseSkipped, r.skipReason(false)
		if n > 1 || recorded.Phase == v1alpha1.PhaseRunning {
			phase, msg = v1alpha1.PhaseCanceled, "canceled: an earlier attempt ran; it may or may not have completed"
		}
		r.st.finishAction(a, phase, msg, lastOutputs)
		return v1alpha1.PhaseCanceled, lastOutputs
	}
	return v1alpha1.PhaseRunning, lastOutputs
}

// decideFailure waits for an operator's decision on an action that failed for good (onFailure
// Ask). decided is false for a retry: the caller runs the action again. Otherwise phase is the
// action's end: Skipped on a skip, Failed on a reject or a cancel, Running when the run is
// interrupted (the record keeps the failure waiting, for the resume).
func (r *runner) decideFailure(ctx context.Context, a at, s *step, failure string, outputs *v1alpha1.ActionOutputs) (phase v1alpha1.ExecutionPhase, decided bool) {
	d := r.awaitDecision(ctx, a, v1alpha1.DecisionFailure, failure, 0, nil)
	switch {
	case d.stopped && r.stopping() == stopCanceled && ctx.Err() == nil:
		return v1alpha1.PhaseFailed, true
	case d.stopped:
		return v1alpha1.PhaseRunning, true
	case d.signal == nil:
		return v1alpha1.PhaseFailed, true
	}
	switch sig := d.signal; sig.Verb {
	case v1alpha1.SignalRetry:
		// Pending again, so that a run stopped before the new attempt starts runs it on resume.
		r.st.retryDecided(a, fmt.Sprintf("retry by %s: it runs again; it had failed: %s", sig.By, failure))
		r.events.normal("ActionRetriedByOperator", "Action %s runs again: retry by %s", s.name, sig.By)
		return "", false
	case v1alpha1.SignalSkip:
		r.st.finishAction(a, v1alpha1.PhaseSkipped, fmt.Sprintf("skipped by %s: %s; it had failed: %s", sig.By, sig.Reason, failure), outputs)
		return v1alpha1.PhaseSkipped, true
	}
	return v1alpha1.PhaseFailed, true
}

// sleep waits d; it returns false early when the run is stopping or ctx ends.
func (r *runner) sleep(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if r.stopping() != running || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(100*time.Millisecond, time.Until(deadline))):
		}
	}
	return r.stopping() == running
}

// deleteHookResource deletes, once the hook action has ended, the object it recorded (Helm's
// hook-succeeded and hook-failed policies: hookCleanup.onSuccess, onFailure), and says how that
// went, for the action's message. A failed cleanup does not change the action's outcome.
func (r *runner) deleteHookResource(ctx context.Context, env actions.Env, a *v1alpha1.Action, outputs *v1alpha1.ActionOutputs, policy string) string {
	t := actions.Lookup(a.Type)
	if t == nil {
		return ""
	}
	// What a revert would delete (each child of a PerCluster Subscription); a hook applied over an
	// object that existed goes too, as Helm deletes its hook resources. A patched or deleted
	// object is never the hook's to delete.
	del, _ := t.AutoRollback(a, outputs)
	if del == nil && t.Operation(a) == v1alpha1.OperationApply {
		del = t.DeleteRecorded(outputs)
	}
	if del == nil {
		return fmt.Sprintf("; hookCleanup.%s: nothing recorded to delete", policy)
	}
	executor, err := r.e.cfg.Actions.Get(del.Type)
	var res actions.Result
	if err == nil {
		dctx, cancel := context.WithTimeoutCause(ctx, DefaultActionTimeout, actions.ErrAttemptTimedOut)
		res, err = executor.Execute(dctx, env, actions.Request{Action: del, Namespace: r.namespace})
		cancel()
	}
	switch {
	case err != nil:
		r.events.warning("HookCleanupFailed", "Action %s: hookCleanup.%s: %v", a.Name, policy, err)
		return fmt.Sprintf("; hookCleanup.%s: deleting the hook resource failed: %v", policy, err)
	case res.Skipped != "":
		return fmt.Sprintf("; hookCleanup.%s: %s", policy, res.Skipped)
	}
	return fmt.Sprintf("; hookCleanup.%s: %s", policy, res.Message)
}
