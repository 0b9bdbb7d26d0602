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
