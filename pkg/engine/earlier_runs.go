package engine

import (
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// EarlierSuccesses are the durations of the plan's successful runs of exec's operation that
// started before exec (all others, while exec has not started), newest first: from the plan's
// history, which keeps the last ten runs. The live view's ETA, a drill's report and drctl report
// compare a run with them.
func EarlierSuccesses(plan *v1alpha1.DRPlan, exec *v1alpha1.DRPlanExecution) []time.Duration {
	var out []time.Duration
	for _, h := range plan.Status.ExecutionHistory {
		if h.Name == exec.Name || h.OperationType != exec.Spec.OperationType || h.Phase != v1alpha1.PhaseSucceeded ||
			h.StartTime == nil || h.CompletionTime == nil {
			continue
		}
		if st := exec.Status.StartTime; st != nil && h.StartTime.After(st.Time) {
			continue // a later run (times have seconds: one of the same second counts as earlier)
		}
		out = append(out, h.CompletionTime.Sub(h.StartTime.Time))
	}
	return out
}
