package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// runGraph runs a workflow whose actions name dependsOn: each action starts once every action it
// depends on has ended, so actions with nothing between them run at once. An action runs when
// each of those succeeded or was skipped by a rule of its own (clears); after one failed, was
// canceled, or was itself skipped because of a failure, it is skipped with the reason, and so are
// the actions after it. Under FailFast the first failure starts nothing new and lets the running
// actions finish (as a stage does with its workflows); under Continue the branches that do not
// depend on the failure go on. An action an earlier runner started is resumed, never skipped.
func (r *runner) runGraph(ctx context.Context, i, j int, snap *v1alpha1.DRPlanExecution) (failed, canceled, interrupted bool) {
	wp := r.prog.stages[i].workflows[j]
	recorded := snap.Status.StageStatuses[i].WorkflowExecutions[j].ActionStatuses
	n := len(wp.steps)
	outputs := cloneOutputs(wp.vars.Outputs) // read and written by this loop only
	// cleared[k]: step k ended so that the steps depending on it may run.
	ended, cleared, started := make([]bool, n), make([]bool, n), make([]bool, n)
	for k, as := range recorded {
		if v1alpha1.IsFinished(as.Phase) && !r.waitingFor(at{i, j, k}, v1alpha1.DecisionFailure) { // a resume: never repeat what finished
			started[k], ended[k] = true, true
			cleared[k] = clears(as)
			failed = failed || as.Phase == v1alpha1.PhaseFailed
			addOutputs(outputs, wp.steps[k].name, as.Outputs)
		}
	}
	type end struct {
		k       int
		phase   v1alpha1.ExecutionPhase
		outputs *v1alpha1.ActionOutputs
	}
	ends := make(chan end)
	active := 0
	for {
		// Start, or skip, every step whose dependencies have ended; a skip ends a step at once and
		// may settle others, so look again until nothing changes.
		for changed := true; changed && !interrupted && ctx.Err() == nil && !r.interrupted(); {
			changed = false
			for k, s := range wp.steps {
				if started[k] || !allEnded(s.dependsOn, ended) {
					continue
				}
				started[k], changed = true, true
				a := at{i, j, k}
				// An action an earlier runner started may have acted: it is never skipped, but
				// resumed (runStep records it Canceled if the run is canceled first).
				begun := recorded[k].Phase == v1alpha1.PhaseRunning || recorded[k].Attempts > 0
				if r.stopping() == stopCanceled {
					canceled = true
					failed = r.cancelUnstarted(a, recorded[k]) || failed
					ended[k] = true
					continue
				}
				if reason := r.graphSkip(wp, s, failed, cleared); reason != "" && !begun {
					r.st.finishAction(a, v1alpha1.PhaseSkipped, reason, nil)
					ended[k] = true
					continue
				}
				vars := wp.vars
				vars.Outputs = cloneOutputs(outputs)
				active++
				go func(k int, s *step) {
					phase, out := r.runStep(ctx, a, s, vars, recorded[k])
					ends <- end{k, phase, out}
				}(k, s)
			}
		}
		if active == 0 {
			break
		}
		e := <-ends
		active--
		switch e.phase {
		case v1alpha1.PhaseRunning: // interrupted: a hard stop, a partition, a lost lease
			interrupted = true
			continue // wait for the others, which stop too
		case v1alpha1.PhaseFailed:
			failed = true
		case v1alpha1.PhaseCanceled:
			canceled = true
		}
		ended[e.k] = true
		cleared[e.k] = e.phase == v1alpha1.PhaseSucceeded || e.phase == v1alpha1.PhaseSkipped // by its own rule
		addOutputs(outputs, wp.steps[e.k].name, e.outputs)
	}
	if interrupted || ctx.Err() != nil || r.interrupted() {
		return failed, canceled, true
	}
	return failed, canceled, false
}

// graphSkip says why a step whose dependencies have ended does not run ("" when it runs).
func (r *runner) graphSkip(wp *workflowProgram, s *step, failed bool, cleared []bool) string {
	if failed && wp.failFast {
		return failFastSkip
	}
	var blocked []string
	for _, d := range s.dependsOn {
		if !cleared[d] {
			blocked = append(blocked, wp.steps[d].name)
		}
	}
	if len(blocked) > 0 {
		return fmt.Sprintf(graphSkipPrefix+"%s, which did not succeed", strings.Join(blocked, ", "))
	}
	return ""
}

// clears reports whether a recorded step lets the steps after it run, as it did when it ended:
// it succeeded, or was skipped by a rule of its own (its condition, its hook type, Delete mode,
// nothing to do) rather than by the graph (a failure before it, FailFast, a cancel).
func clears(as v1alpha1.ActionStatus) bool {
	switch as.Phase {
	case v1alpha1.PhaseSucceeded:
		return true
	case v1alpha1.PhaseSkipped:
		return !strings.HasPrefix(as.Message, graphSkipPrefix) && as.Message != failFastSkip && !strings.HasPrefix(as.Message, "skipped: the execution was canceled")
	}
	return false
}

// graphSkipPrefix begins the reason of a step skipped because what it depends on did not succeed.
const graphSkipPrefix = "skipped: it depends on "

func allEnded(deps []int, ended []bool) bool {
	for _, d := range deps {
		if !ended[d] {
			return false
		}
	}
	return true
}
