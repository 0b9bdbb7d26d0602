package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// passGate holds a stage with an approval gate until an operator approves it, and reports
// whether the stage may start. A rejection, or no answer by the deadline, fails the stage (its
// workflows Skipped); a cancel skips it; an interruption leaves it Pending and waiting, for the
// resume. A stage an earlier runner started, or whose approval the record shows, passes.
func (r *runner) passGate(ctx context.Context, i int) bool {
	sp := r.prog.stages[i]
	if sp.approval == nil || r.approved(i) {
		return true
	}
	var timeout time.Duration
	if sp.approval.Timeout != "" {
		timeout, _ = time.ParseDuration(sp.approval.Timeout) // validated with the plan
	}
	message := orDefault(sp.approval.Message, fmt.Sprintf("stage %s waits for approval to start", sp.name))
	d := r.awaitDecision(ctx, at{i, -1, -1}, v1alpha1.DecisionApproval, message, timeout, r.stagesHalted.Load)
	switch {
	case d.abandoned:
		r.skipStage(i, r.skipReason(true))
		return false
	case d.stopped && r.stopping() == stopCanceled && ctx.Err() == nil:
		r.skipStage(i, r.skipReason(false))
		return false
	case d.stopped:
		return false
	case d.signal != nil && d.signal.Verb == v1alpha1.SignalApprove:
		return true
	}
	why := fmt.Sprintf("approval not given within %s", sp.approval.Timeout)
	if d.signal != nil {
		why = withReason("approval rejected by "+d.signal.By, d.signal.Reason)
	}
	r.failStage(i, why)
	return false
}

// approved reports whether the stage's gate was passed before: the stage started, or the record
// shows its approval applied (a runner that stopped right after receiving it).
func (r *runner) approved(i int) bool {
	snap := r.st.snapshot()
	if snap.Status.StageStatuses[i].Phase != v1alpha1.PhasePending {
		return true
	}
	for _, s := range snap.Status.Signals {
		if s.Verb == v1alpha1.SignalApprove && s.Result == v1alpha1.SignalApplied && s.Step == snap.Status.StageStatuses[i].Name {
			return true
		}
	}
	return false
}

// failStage ends a stage that never started Failed: its workflows and actions are Skipped.
func (r *runner) failStage(i int, why string) {
	snap := r.st.snapshot()
	for j := range snap.Status.StageStatuses[i].WorkflowExecutions {
		r.skipWorkflow(i, j, "skipped: "+why)
	}
	r.st.setStage(at{i, -1, -1}, v1alpha1.PhaseFailed, why)
	r.events.warning("StageFailed", "Stage %s failed: %s", r.prog.stages[i].name, why)
}
