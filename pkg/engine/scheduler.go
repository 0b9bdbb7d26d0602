package engine

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// runStages starts every stage whose dependencies have finished, as soon as they have, and waits
// for all. After a stage fails under failurePolicy Stop, or once the run is stopping, no new stage
// starts; those left are Skipped.
func (r *runner) runStages(ctx context.Context) {
	n := len(r.prog.stages)
	started := make([]bool, n)
	finished := make([]bool, n)
	// A stage an earlier runner started (a resume) is continued even after a halt: the halt stops
	// new stages, and that one is not new.
	wasRunning := make([]bool, n)
	snap := r.st.snapshot()
	halted := false
	for i, ss := range snap.Status.StageStatuses {
		wasRunning[i] = ss.Phase == v1alpha1.PhaseRunning
		// A stage that was running when the run was interrupted may have failed already (a
		// workflow recorded Failed before the stage's own end was): under Stop, that halts too.
		if wasRunning[i] && stageHasFailure(ss) && r.prog.stages[i].stopOnFailure {
			halted = true
		}
		if v1alpha1.IsFinished(ss.Phase) { // a resume: never repeat what finished
			started[i], finished[i] = true, true
			// ...nor forget that a stage failed under failurePolicy Stop before the interruption
			if ss.Phase == v1alpha1.PhaseFailed && r.prog.stages[i].stopOnFailure {
				halted = true
			}
		}
	}
	done := make(chan int)
	active := 0
	for {
		if halted {
			r.stagesHalted.Store(true)
		}
		if r.stopping() == running && ctx.Err() == nil {
			for i, sp := range r.prog.stages {
				if started[i] || !r.dependenciesDone(sp, finished) || (halted && !wasRunning[i]) {
					continue
				}
				started[i] = true
				active++
				go func(i int) { r.runStage(ctx, i); done <- i }(i)
			}
		}
		if active == 0 {
			break
		}
		i := <-done
		active--
		finished[i] = true
		if r.stageFailed(i) && r.prog.stages[i].stopOnFailure {
			halted = true
		}
	}
	if ctx.Err() != nil || r.interrupted() {
		return // what has not started stays Pending, for resume
	}
	for i := range r.prog.stages {
		if !started[i] {
			r.skipStage(i, r.skipReason(halted))
		}
	}
}

func (r *runner) dependenciesDone(sp *stageProgram, finished []bool) bool {
	for _, dep := range sp.dependsOn {
		if j := r.prog.stageIndex(dep); j >= 0 && !finished[j] {
			return false
		}
	}
	return true
}

func (r *runner) stageFailed(i int) bool {
	snap := r.st.snapshot()
	return snap.Status.StageStatuses[i].Phase == v1alpha1.PhaseFailed
}

func (r *runner) skipReason(halted bool) string {
	switch r.stopping() {
	case stopCanceled:
		return "skipped: the execution was canceled"
	}
	if halted {
		return "skipped: an earlier stage failed and the failure policy is Stop"
	}
	return "skipped"
}

// skipStage records a stage that this run never started, with all its workflows and actions, as
// Skipped — or Canceled, if an earlier runner had started it (a canceled resume).
func (r *runner) skipStage(i int, reason string) {
	snap := r.st.snapshot()
	for j := range snap.Status.StageStatuses[i].WorkflowExecutions {
		r.skipWorkflow(i, j, reason)
	}
	r.st.setStage(at{i, -1, -1}, skippedOrCanceled(snap.Status.StageStatuses[i].Phase), reason)
}

// stageHasFailure reports whether a workflow of the stage is recorded Failed.
func stageHasFailure(ss v1alpha1.StageStatus) bool {
	for _, w := range ss.WorkflowExecutions {
		if w.Phase == v1alpha1.PhaseFailed {
			return true
		}
	}
	return false
}

// skippedOrCanceled is how a node this run does not run ends: Skipped if it never started,
// Canceled if an earlier runner had started it.
func skippedOrCanceled(recorded v1alpha1.ExecutionPhase) v1alpha1.ExecutionPhase {
	if recorded == v1alpha1.PhaseRunning {
		return v1alpha1.PhaseCanceled
	}
	return v1alpha1.PhaseSkipped
}

// runStage runs a stage's workflows, concurrently when it is parallel. After the first failure no
// new workflow starts (failurePolicy Stop or FailFast) and the running ones finish (FR-023f).
func (r *runner) runStage(ctx context.Context, i int) {
	sp := r.prog.stages[i]
	if !r.passGate(ctx, i) {
		return
	}
	r.st.setStage(at{i, -1, -1}, v1alpha1.PhaseRunning, "")
	r.events.normal("StageStarted", "Stage %s started", sp.name)
	var failed atomic.Bool
	failed.Store(stageHasFailure(r.st.snapshot().Status.StageStatuses[i])) // a resume remembers
	var wg sync.WaitGroup
	for j := range sp.workflows {
		if ctx.Err() != nil || r.interrupted() {
			break
		}
		if (failed.Load() && sp.failFastWithin) || r.stopping() == stopCanceled {
			r.skipWorkflow(i, j, r.workflowSkipReason(failed.Load()))
			continue
		}
		run := func() {
			if r.runWorkflow(ctx, i, j) == v1alpha1.PhaseFailed {
				failed.Store(true)
			}
		}
		if sp.parallel {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		} else {
			run()
		}
	}
	wg.Wait()
	if ctx.Err() != nil || r.interrupted() {
		return // the stage stays Running, for resume
	}
	phase, msg := r.stagePhase(i)
	r.st.setStage(at{i, -1, -1}, phase, msg)
	switch phase {
	case v1alpha1.PhaseFailed:
		r.events.warning("StageFailed", "Stage %s failed: %s", sp.name, msg)
	case v1alpha1.PhaseSucceeded:
		r.events.normal("StageSucceeded", "Stage %s completed successfully", sp.name)
	}
}

func (r *runner) workflowSkipReason(failed bool) string {
	if r.stopping() == running && failed {
		return "skipped: another workflow of the stage failed"
	}
	return r.skipReason(false)
}

// skipWorkflow records a workflow that this run never started, and each of its actions, as
// Skipped; every one is a transition of its own, so the views show them all. An action an earlier
// runner left Running is Canceled: it may or may not have completed.
func (r *runner) skipWorkflow(i, j int, reason string) {
	snap := r.st.snapshot()
	we := snap.Status.StageStatuses[i].WorkflowExecutions[j]
	if v1alpha1.IsFinished(we.Phase) {
		return // an earlier runner finished it: its record stands
	}
	for k, a := range we.ActionStatuses {
		switch {
		case a.Phase == v1alpha1.PhaseRunning:
			r.st.finishAction(at{i, j, k}, v1alpha1.PhaseCanceled, "canceled: its runner stopped while it was running; it may or may not have completed", a.Outputs)
		case !v1alpha1.IsFinished(a.Phase):
			r.st.finishAction(at{i, j, k}, v1alpha1.PhaseSkipped, reason, nil)
		}
	}
	r.st.setWorkflow(at{i, j, -1}, skippedOrCanceled(we.Phase), reason)
}

func (r *runner) stagePhase(i int) (v1alpha1.ExecutionPhase, string) {
	snap := r.st.snapshot()
	var failed []string
	canceled := false
	for _, w := range snap.Status.StageStatuses[i].WorkflowExecutions {
		switch w.Phase {
		case v1alpha1.PhaseFailed:
			failed = append(failed, w.WorkflowRef.Name)
		case v1alpha1.PhaseCanceled:
			canceled = true
		}
	}
	switch {
	case len(failed) > 0:
		return v1alpha1.PhaseFailed, "failed workflows: " + strings.Join(failed, ", ")
	case canceled || r.stopping() == stopCanceled:
		return v1alpha1.PhaseCanceled, "canceled"
	}
	return v1alpha1.PhaseSucceeded, ""
}
