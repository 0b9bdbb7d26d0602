package tui

import (
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Diff returns the events that move before to after: the operator signals received, then one
// per node whose phase or attempt changed, in display order, then the decisions newly waited
// for, then the execution's own change. It lets a view of a run in another
// process (drctl watch) be fed the same event stream as a run in this one.
func Diff(before, after *Tree, now time.Time) []engine.Event {
	var out, waits []engine.Event
	// The signals received since, each once, first: they come before what they cause.
	seen := map[string]bool{}
	for _, s := range before.Signals {
		seen[s.ID] = true
	}
	for _, s := range after.Signals {
		if !seen[s.ID] {
			out = append(out, engine.Event{Time: now, Type: engine.EventSignal, Execution: after.Execution, Step: s.Step,
				Phase: v1alpha1.ExecutionPhase(s.Result), Message: engine.SignalLine(s), Signal: &s})
		}
	}
	old := map[string]*Node{}
	for k, n := range before.index {
		old[k] = n
	}
	for _, n := range after.Flatten() {
		key := n.stage
		if n.Kind != engine.EventStage {
			key += "/" + n.workflow
		}
		if n.Kind == engine.EventAction {
			key += "/" + n.Name
		}
		prev := old[key]
		if n.Waiting != "" && (prev == nil || prev.Waiting != n.Waiting) {
			waits = append(waits, engine.Event{Time: now, Type: engine.EventWaiting, Execution: after.Execution,
				Stage: n.stage, Workflow: n.workflow, Step: key, Phase: n.Phase, Decision: n.Waiting, Message: n.WaitMessage})
		}
		if prev != nil && prev.Phase == n.Phase && prev.Attempts == n.Attempts {
			continue
		}
		e := engine.Event{Time: now, Type: n.Kind, Execution: after.Execution, Stage: n.stage, Phase: n.Phase, Attempt: n.Attempts, Outputs: n.Outputs}
		if n.Kind != engine.EventStage {
			e.Workflow = n.workflow
		}
		if n.Kind == engine.EventAction {
			e.Action = n.Name
		}
		if n.Message != "" && (prev == nil || prev.Message != n.Message) {
			e.Message = n.Message
		}
		out = append(out, e)
	}
	out = append(out, waits...) // after the phases that led to them
	if before.Phase != after.Phase {
		out = append(out, engine.Event{Time: now, Type: engine.EventExecution, Execution: after.Execution, Phase: after.Phase, Message: after.Message})
	}
	return out
}
