package progress

import (
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Summary is how a run ended, counted.
type Summary struct {
	Execution string                  `json:"execution"`
	Namespace string                  `json:"namespace"`
	Phase     v1alpha1.ExecutionPhase `json:"phase"`
	// Duration is from the run's start to its end ("" when either is unknown).
	Duration                   string `json:"duration,omitempty"`
	Succeeded, Failed, Skipped int    `json:"-"`
	Message                    string `json:"message,omitempty"`
}

// Summarize counts the actions of a finished run by outcome.
func Summarize(res *engine.Result) Summary {
	exec := res.Execution
	s := Summary{Execution: exec.Name, Namespace: exec.Namespace, Phase: res.Phase, Message: res.Message}
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				switch a.Phase {
				case v1alpha1.PhaseSucceeded:
					s.Succeeded++
				case v1alpha1.PhaseFailed, v1alpha1.PhaseCanceled:
					s.Failed++
				case v1alpha1.PhaseSkipped:
					s.Skipped++
				}
			}
		}
	}
	if st, ct := exec.Status.StartTime, exec.Status.CompletionTime; st != nil && ct != nil {
		s.Duration = ct.Sub(st.Time).Round(time.Millisecond).String()
	}
	return s
}
