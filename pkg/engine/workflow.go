package engine

import (
	"context"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// runWorkflow runs a workflow's steps, in order or as a graph, and returns its phase. FailFast
// starts no action after the first failure (running ones finish); Continue runs the rest and fails
// at the end.
func (r *runner) runWorkflow(ctx context.Context, i, j int) v1alpha1.ExecutionPhase {
	wp := r.prog.stages[i].workflows[j]
	snap := r.st.snapshot()
	we := snap.Status.StageStatuses[i].WorkflowExecutions[j]
	if v1alpha1.IsFinished(we.Phase) {
		return we.Phase
	}
	r.st.setWorkflow(at{i, j, -1}, v1alpha1.PhaseRunning, "")
	var failed, canceled, interrupted bool
	if wp.dag {
		failed, canceled, interrupted = r.runGraph(ctx, i, j, snap)
	} else {
		failed, canceled, interrupted = r.runInOrder(ctx, i, j, snap)
	}
	if interrupted {
		return v1alpha1.PhaseRunning // the rest stays as recorded, for resume
	}
	phase, msg := v1alpha1.PhaseSucceeded, ""
	switch {
	case failed:
		phase, msg = v1alpha1.PhaseFailed, "an action failed"
	case canceled:
		phase, msg = v1alpha1.PhaseCanceled, "canceled"
	}
	r.st.setWorkflow(at{i, j, -1}, phase, msg)
	return phase
}

// failFastSkip is why an action does not start after another failed under FailFast.
const failFastSkip = "skipped: an earlier action failed and the workflow's failure policy is FailFast"

// runInOrder runs a workflow's actions one after another.
func (r *runner) runInOrder(ctx context.Context, i, j int, snap *v1alpha1.DRPlanExecution) (failed, canceled, interrupted bool) {
	wp := r.prog.stages[i].workflows[j]
	vars := wp.vars
	vars.Outputs = cloneOutputs(wp.vars.Outputs)
	for k, s := range wp.steps {
		if ctx.Err() != nil || r.interrupted() {
			return failed, canceled, true
		}
		as := snap.Status.StageStatuses[i].WorkflowExecutions[j].ActionStatuses[k]
		if v1alpha1.IsFinished(as.Phase) && !r.waitingFor(at{i, j, k}, v1alpha1.DecisionFailure) { // a resume: never repeat what finished
			if as.Phase == v1alpha1.PhaseFailed {
				failed = true
			}
			addOutputs(vars.Outputs, s.name, as.Outputs)
			continue
		}
		a := at{i, j, k}
		switch {
		case r.stopping() == stopCanceled:
			canceled = true
			failed = r.cancelUnstarted(a, as) || failed
			continue
		case failed && wp.failFast:
			r.st.finishAction(a, v1alpha1.PhaseSkipped, failFastSkip, nil)
			continue
		}
		phase, outputs := r.runStep(ctx, a, s, vars, as)
		if phase == v1alpha1.PhaseRunning { // interrupted: a hard stop, a partition, a lost lease
			return failed, canceled, true
		}
		addOutputs(vars.Outputs, s.name, outputs)
		switch phase {
		case v1alpha1.PhaseFailed:
			failed = true
		case v1alpha1.PhaseCanceled:
			canceled = true
		}
	}
	return failed, canceled, false
}

func cloneOutputs(in map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, v := range in {
		out[k] = v
	}
	return out
}

// addOutputs makes an action's outputs available to later placeholders.
func addOutputs(into map[string]map[string]string, action string, o *v1alpha1.ActionOutputs) {
	if v := OutputValues(o); v != nil {
		into[action] = v
	}
}

// cancelUnstarted records an action the canceled run does not start: Skipped, or Canceled when an
// earlier runner had started it (it may or may not have completed; revert must know). A failure
// that waited for a decision stays Failed, and it says so (true).
func (r *runner) cancelUnstarted(a at, as v1alpha1.ActionStatus) (failed bool) {
	if as.Phase == v1alpha1.PhaseFailed {
		r.endWait(r.stepName(a))
		return true
	}
	if as.Phase == v1alpha1.PhaseRunning || as.Attempts > 0 {
		r.st.finishAction(a, v1alpha1.PhaseCanceled, "canceled: its runner stopped while it was running; it may or may not have completed", as.Outputs)
		return false
	}
	r.st.finishAction(a, v1alpha1.PhaseSkipped, r.skipReason(false), nil)
	return false
}
