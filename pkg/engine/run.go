package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// stopReason says why a run stops launching work early.
type stopReason int32

const (
	running stopReason = iota
	stopCanceled
	stopPartitioned
	stopLeaseLost
)

// runner carries one run from its first action to its recorded end.
type runner struct {
	e         *Engine
	st        *state
	rec       *recorder
	prog      *program
	lease     *lease.Lease
	events    *kubeEvents
	namespace string // the plan's namespace
	revert    bool

	stop        atomic.Int32
	lastContact atomic.Int64 // unix nanos of the last successful API write
}

// newRunner prepares a run of exec (whose status is already initialised and recorded) holding l.
func (e *Engine) newRunner(exec *v1alpha1.DRPlanExecution, prog *program, l *lease.Lease, planNamespace string, revert bool) *runner {
	r := &runner{e: e, prog: prog, lease: l, namespace: planNamespace, revert: revert}
	r.st = &state{exec: exec, observer: e.cfg.Observer, logger: e.cfg.Logger, now: e.cfg.Now}
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			e.cfg.Logger.Debug("resolved parameters", "execution", exec.Name, "stage", ss.Name, "workflow", w.WorkflowRef.Name, "params", w.ResolvedParams)
		}
	}
	r.rec = newRecorder(e.cfg.Client, r.st, e.cfg.StatusInterval, r.contact)
	r.rec.disowned = func() bool { return r.stopping() == stopLeaseLost }
	r.st.changed = r.rec.Notify
	r.events = newKubeEvents(e.cfg.Client, exec, e.cfg.Logger)
	r.lastContact.Store(time.Now().UnixNano())
	return r
}

// contact records the outcome of an API call, for partition detection.
func (r *runner) contact(err error) {
	if err == nil {
		r.lastContact.Store(time.Now().UnixNano())
		return
	}
	if time.Since(time.Unix(0, r.lastContact.Load())) > r.e.cfg.PartitionTimeout {
		r.stop.CompareAndSwap(int32(running), int32(stopPartitioned))
	}
}

func (r *runner) stopping() stopReason { return stopReason(r.stop.Load()) }

// run executes the program and records the end. ctx ends only on a hard stop (a second Ctrl-C):
// then the record stays Running, for `drctl resume`.
func (r *runner) run(ctx context.Context) (*Result, error) {
	bg, stopBackground := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); r.rec.run(bg) }()
	go func() { defer wg.Done(); r.keepLease(bg) }()
	go func() { defer wg.Done(); r.watchCancel(bg) }()
	defer func() {
		stopBackground()
		wg.Wait()
		r.events.close()
	}()

	name := r.st.exec.Name
	if r.revert {
		r.events.normal("RevertStarted", "Revert started for plan %s", r.st.exec.Spec.PlanRef)
	} else {
		r.events.normal("ExecutionStarted", "Execution started for plan %s", r.st.exec.Spec.PlanRef)
	}
	r.st.emit(Event{Type: EventExecution, Phase: v1alpha1.PhaseRunning, Message: "started"})
	started := time.Now()

	r.runStages(ctx)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("execution %s interrupted; it stays Running: resume it with `drctl resume %s`", name, name)
	}
	return r.finish(ctx, started)
}

// finish records the end of the run: phase, message, completion time, events, plan status, lease.
func (r *runner) finish(ctx context.Context, started time.Time) (*Result, error) {
	phase, msg, failedAt := r.outcome()
	if r.stopping() == stopLeaseLost {
		// Another runner holds the plan and owns the record now: write nothing.
		return &Result{Execution: r.st.snapshot(), Phase: v1alpha1.PhaseUnknown, Message: msg}, nil
	}
	now := metav1.NewTime(r.e.cfg.Now())
	r.st.update(func(st *v1alpha1.DRPlanExecutionStatus) {
		st.Phase, st.Message, st.CompletionTime = phase, msg, &now
	})
	r.st.emit(Event{Type: EventExecution, Phase: phase, Message: msg})
	if err := r.flushUntilReachable(ctx); err != nil {
		return nil, err
	}
	took := time.Since(started).Round(time.Millisecond)
	switch {
	case phase == v1alpha1.PhaseSucceeded && r.revert:
		r.events.normal("RevertSucceeded", "Revert completed successfully")
	case phase == v1alpha1.PhaseSucceeded:
		r.events.normal("ExecutionSucceeded", "Execution completed successfully in %s", took)
	case phase == v1alpha1.PhaseCanceled:
		r.events.normal("ExecutionCancelled", "Execution cancelled by user")
	case phase == v1alpha1.PhaseFailed && r.revert:
		r.events.warning("RevertFailed", "Revert failed at action %s: %s", failedAt, msg)
	case phase == v1alpha1.PhaseFailed:
		r.events.warning("ExecutionFailed", "Execution failed at action %s: %s", failedAt, msg)
	}
	exec := r.st.snapshot()
	if err := r.e.finishPlanStatus(ctx, exec); err != nil {
		r.e.cfg.Logger.Error("update plan status", "plan", exec.Spec.PlanRef, "err", err)
	}
	if err := r.lease.Release(ctx); err != nil {
		r.e.cfg.Logger.Warn("release lease", "err", err)
	}
	return &Result{Execution: exec, Phase: phase, Message: msg}, nil
}

// flushUntilReachable writes the final status, retrying while the API server is unreachable.
func (r *runner) flushUntilReachable(ctx context.Context) error {
	delay := time.Second
	for {
		err := r.rec.Flush(ctx)
		if err == nil {
			return nil
		}
		r.e.cfg.Logger.Warn("record final status", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("record the end of execution %s: %w", r.st.exec.Name, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 15*time.Second)
	}
}

// outcome derives the run's phase from its stages, and names the first failed action.
func (r *runner) outcome() (v1alpha1.ExecutionPhase, string, string) {
	switch r.stopping() {
	case stopLeaseLost:
		return v1alpha1.PhaseUnknown, "the plan's lease was taken over by another runner; this runner stopped at an action boundary", ""
	case stopPartitioned:
		return v1alpha1.PhaseUnknown, fmt.Sprintf("the API server was unreachable for more than %s; actions that were running may or may not have finished: check before resuming or reverting", r.e.cfg.PartitionTimeout), ""
	case stopCanceled:
		return v1alpha1.PhaseCanceled, "canceled: running actions finished, the rest were skipped", ""
	}
	snap := r.st.snapshot()
	var failures []string
	failedAt := ""
	for _, ss := range snap.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				if a.Phase == v1alpha1.PhaseFailed {
					if failedAt == "" {
						failedAt = w.WorkflowRef.Name + "/" + a.Name
					}
					failures = append(failures, fmt.Sprintf("%s/%s/%s: %s", ss.Name, w.WorkflowRef.Name, a.Name, a.Message))
				}
			}
		}
		if ss.Phase == v1alpha1.PhaseFailed && len(failures) == 0 {
			failures = append(failures, fmt.Sprintf("stage %s: %s", ss.Name, ss.Message))
		}
	}
	if len(failures) > 0 {
		return v1alpha1.PhaseFailed, strings.Join(failures, "; "), failedAt
	}
	return v1alpha1.PhaseSucceeded, "", ""
}

// keepLease renews the Lease; losing it stops the run at the next action boundary.
func (r *runner) keepLease(ctx context.Context) {
	t := time.NewTicker(r.e.cfg.LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.lease.Renew(ctx)
		if errors.Is(err, lease.ErrLost) {
			r.stop.Store(int32(stopLeaseLost))
			r.e.cfg.Logger.Error("lease lost", "lease", r.lease.Name)
			return
		}
		if ctx.Err() == nil {
			r.contact(err)
		}
	}
}

// watchCancel watches the execution for the cancel annotation.
func (r *runner) watchCancel(ctx context.Context) {
	exec := r.st.snapshot()
	for ctx.Err() == nil {
		w, err := r.e.cfg.Client.Watch(ctx, &v1alpha1.DRPlanExecutionList{}, client.InNamespace(exec.Namespace),
			client.MatchingFields{"metadata.name": exec.Name})
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
				continue
			}
		}
		for ev := range w.ResultChan() {
			if obj, ok := ev.Object.(*v1alpha1.DRPlanExecution); ok && obj.Annotations[AnnotationCancel] == "true" {
				if r.stop.CompareAndSwap(int32(running), int32(stopCanceled)) {
					r.e.cfg.Logger.Info("cancel requested", "execution", exec.Name)
				}
			}
		}
		w.Stop()
	}
}

// runStages starts every stage whose dependencies have finished, as soon as they have, and waits
// for all. After a stage fails under failurePolicy Stop, or once the run is stopping, no new stage
// starts; those left are Skipped.
func (r *runner) runStages(ctx context.Context) {
	n := len(r.prog.stages)
	started := make([]bool, n)
	finished := make([]bool, n)
	snap := r.st.snapshot()
	for i, ss := range snap.Status.StageStatuses {
		if v1alpha1.IsFinished(ss.Phase) { // a resume: never repeat what finished
			started[i], finished[i] = true, true
		}
	}
	done := make(chan int)
	active, halted := 0, false
	for {
		if !halted && r.stopping() == running && ctx.Err() == nil {
			for i, sp := range r.prog.stages {
				if started[i] || !r.dependenciesDone(sp, finished) {
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
	if ctx.Err() != nil {
		return
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
	case stopPartitioned, stopLeaseLost:
		return "skipped: the run stopped (see the execution's message)"
	}
	if halted {
		return "skipped: an earlier stage failed and the failure policy is Stop"
	}
	return "skipped"
}

// skipStage records a stage that never started, with all its workflows and actions, as Skipped.
func (r *runner) skipStage(i int, reason string) {
	snap := r.st.snapshot()
	for j := range snap.Status.StageStatuses[i].WorkflowExecutions {
		r.skipWorkflow(i, j, reason)
	}
	r.st.setStage(at{i, -1, -1}, v1alpha1.PhaseSkipped, reason)
}

// runStage runs a stage's workflows, concurrently when it is parallel. After the first failure no
// new workflow starts (failurePolicy Stop) and the running ones finish (FR-023f).
func (r *runner) runStage(ctx context.Context, i int) {
	sp := r.prog.stages[i]
	r.st.setStage(at{i, -1, -1}, v1alpha1.PhaseRunning, "")
	r.events.normal("StageStarted", "Stage %s started", sp.name)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for j := range sp.workflows {
		if ctx.Err() != nil {
			return
		}
		if (failed.Load() && sp.stopOnFailure) || r.stopping() != running {
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
	if ctx.Err() != nil {
		return
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

// skipWorkflow records a workflow that never started, and each of its actions, as Skipped; every
// one is a transition of its own, so the views show them all.
func (r *runner) skipWorkflow(i, j int, reason string) {
	snap := r.st.snapshot()
	for k, a := range snap.Status.StageStatuses[i].WorkflowExecutions[j].ActionStatuses {
		if !v1alpha1.IsFinished(a.Phase) && a.Phase != v1alpha1.PhaseRunning {
			r.st.finishAction(at{i, j, k}, v1alpha1.PhaseSkipped, reason, nil)
		}
	}
	r.st.setWorkflow(at{i, j, -1}, v1alpha1.PhaseSkipped, reason)
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

// runWorkflow runs a workflow's steps in order and returns its phase. FailFast stops at the first
// failed action; Continue runs the rest and fails at the end.
func (r *runner) runWorkflow(ctx context.Context, i, j int) v1alpha1.ExecutionPhase {
	wp := r.prog.stages[i].workflows[j]
	snap := r.st.snapshot()
	we := snap.Status.StageStatuses[i].WorkflowExecutions[j]
	if v1alpha1.IsFinished(we.Phase) {
		return we.Phase
	}
	r.st.setWorkflow(at{i, j, -1}, v1alpha1.PhaseRunning, "")
	vars := wp.vars
	vars.Outputs = cloneOutputs(wp.vars.Outputs)
	failed, canceled := false, false
	for k, s := range wp.steps {
		if ctx.Err() != nil {
			return v1alpha1.PhaseRunning
		}
		as := snap.Status.StageStatuses[i].WorkflowExecutions[j].ActionStatuses[k]
		if v1alpha1.IsFinished(as.Phase) { // a resume: never repeat what finished
			if as.Phase == v1alpha1.PhaseFailed {
				failed = true
			}
			addOutputs(vars.Outputs, s.name, as.Outputs)
			continue
		}
		a := at{i, j, k}
		switch {
		case r.stopping() != running:
			canceled = r.stopping() == stopCanceled
			r.st.finishAction(a, v1alpha1.PhaseSkipped, r.skipReason(false), nil)
			continue
		case failed && wp.failFast:
			r.st.finishAction(a, v1alpha1.PhaseSkipped, "skipped: an earlier action failed and the workflow's failure policy is FailFast", nil)
			continue
		}
		phase, outputs := r.runStep(ctx, a, s, vars, as)
		if ctx.Err() != nil {
			return v1alpha1.PhaseRunning
		}
		addOutputs(vars.Outputs, s.name, outputs)
		switch phase {
		case v1alpha1.PhaseFailed:
			failed = true
		case v1alpha1.PhaseCanceled:
			canceled = true
		}
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

// runStep runs one step to its end: Skipped, Succeeded, Failed or Canceled (a cancel during a
// retry wait). The record says Running before the action's first side effect, and holds its
// outputs before the next action starts.
func (r *runner) runStep(ctx context.Context, a at, s *step, vars Vars, recorded v1alpha1.ActionStatus) (v1alpha1.ExecutionPhase, *v1alpha1.ActionOutputs) {
	_, workflow, _ := r.st.names(a)
	if s.skip != "" {
		r.st.finishAction(a, v1alpha1.PhaseSkipped, s.skip, nil)
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
		Labels:     map[string]string{LabelExecution: labelValue(r.st.exec.Name), LabelAction: labelValue(workflow + "." + s.name)},
		ObjectName: s.objectName,
		Recorded:   recorded.Outputs,
	}
	env := actions.Env{Client: r.e.cfg.Client, Logger: r.e.cfg.Logger.With("action", workflow+"/"+s.name)}
	first := int(recorded.Attempts) + 1 // a resumed action's attempt count goes on
	var lastOutputs *v1alpha1.ActionOutputs
	for n := first; ; n++ {
		r.st.startAttempt(a, n, rendered)
		if n == first {
			r.events.normal("ActionStarted", "Action %s started", s.name)
		}
		if err := r.rec.Flush(ctx); err != nil && ctx.Err() == nil {
			r.e.cfg.Logger.Warn("record action start", "err", err)
		}
		started := time.Now()
		actx, cancel := context.WithTimeout(ctx, timeout)
		res, err := executor.Execute(actx, env, req)
		cancel()
		if ctx.Err() != nil { // a hard stop: the record keeps the action Running, for resume
			return v1alpha1.PhaseRunning, lastOutputs
		}
		if res.Outputs != nil {
			lastOutputs = res.Outputs
			req.Recorded = res.Outputs
		}
		if err == nil {
			msg := res.Message
			r.st.finishAction(a, v1alpha1.PhaseSucceeded, msg, res.Outputs)
			r.events.normal("ActionSucceeded", "Action %s completed successfully in %s", s.name, time.Since(started).Round(time.Millisecond))
			r.flushOutputs(ctx)
			return v1alpha1.PhaseSucceeded, res.Outputs
		}
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		retries := n - 1
		if actions.IsPermanent(err) || retries >= policy.limit {
			r.st.finishAction(a, v1alpha1.PhaseFailed, err.Error(), lastOutputs)
			r.events.warning("ActionFailed", "Action %s failed: %v", s.name, err)
			r.flushOutputs(ctx)
			return v1alpha1.PhaseFailed, lastOutputs
		}
		r.st.retrying(a, n, policy.limit, err, lastOutputs)
		r.events.warning("ActionRetrying", "Action %s retrying (%d/%d): %v", s.name, n, policy.limit, err)
		delay := policy.delay(retries)
		if d, ok := actions.RetryDelay(err); ok && d > delay {
			delay = min(d, policy.max)
		}
		if !r.sleep(ctx, delay) {
			if ctx.Err() != nil {
				return v1alpha1.PhaseRunning, lastOutputs
			}
			r.st.finishAction(a, v1alpha1.PhaseCanceled, fmt.Sprintf("canceled while waiting to retry: %v", err), lastOutputs)
			return v1alpha1.PhaseCanceled, lastOutputs
		}
	}
}

// flushOutputs writes an action's outcome before anything else happens (no lost work).
func (r *runner) flushOutputs(ctx context.Context) {
	if err := r.rec.Flush(ctx); err != nil && ctx.Err() == nil {
		r.e.cfg.Logger.Warn("record action outcome", "err", err)
	}
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
