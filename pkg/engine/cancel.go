package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// CancelResult says what a cancel request did.
type CancelResult struct {
	// Phase is the execution's phase after the request.
	Phase v1alpha1.ExecutionPhase
	// Message explains it to a person.
	Message string
}

// Cancel asks a running execution to stop: it sets the dr.bkbcs.tencent.com/cancel annotation,
// which the runner (on any machine) watches; it starts nothing new, lets running actions finish
// and marks the rest Skipped. A finished execution ignores the request (FR-042). When no runner
// is alive (the plan's Lease is free), Cancel records the end itself.
func (e *Engine) Cancel(ctx context.Context, namespace, name string) (*CancelResult, error) {
	res, err := e.cancel(ctx, namespace, name)
	return res, classify(err)
}

func (e *Engine) cancel(ctx context.Context, namespace, name string) (*CancelResult, error) {
	exec := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(namespace, name), exec); err != nil {
		return nil, notFoundIsInvalid(err, "DRPlanExecution %s/%s", namespace, name)
	}
	if v1alpha1.IsFinished(exec.Status.Phase) {
		return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("%s is already %s; the cancel request is ignored", name, exec.Status.Phase)}, nil
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:"true"}}}`, AnnotationCancel))
	if err := e.cfg.Client.Patch(ctx, exec, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return nil, fmt.Errorf("annotate %s: %w", name, err)
	}
	// Is anyone running it? A live runner keeps the plan's Lease renewed.
	info, err := lease.Describe(ctx, e.cfg.Client, e.cfg.Clock, namespace, lease.Name(exec.Spec.PlanRef))
	if err != nil {
		return nil, err
	}
	if info != nil && !info.Expired {
		return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("cancel requested; the runner (%s) stops starting actions and lets running ones finish. "+
			"If that runner is gone, its lock expires at %s: then run `drctl cancel %s` again to record the end, or `drctl resume %s`, which honours the request",
			info.Holder, info.Expires.UTC().Format(time.RFC3339), name, name)}, nil
	}
	// No live runner: record the end ourselves, holding the Lease so no resume starts meanwhile.
	l := e.newLease(namespace, exec.Spec.PlanRef, "cancel of "+e.holder(name))
	if err := l.TryAcquire(ctx); err != nil {
		var held *lease.HeldError
		if errors.As(err, &held) {
			return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("cancel requested; the runner (%s) stops starting actions and lets running ones finish", held.Holder)}, nil
		}
		return nil, err
	}
	defer func() { _ = l.Release(ctx) }()
	if err := e.cfg.Client.Get(ctx, objectKey(namespace, name), exec); err != nil {
		return nil, err
	}
	if v1alpha1.IsFinished(exec.Status.Phase) {
		return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("%s is already %s", name, exec.Status.Phase)}, nil
	}
	// Take the record over (a runner that comes back writes nothing more) and record the end.
	journal, err := e.claim(ctx, l, exec, func(latest *v1alpha1.DRPlanExecution) error {
		if v1alpha1.IsFinished(latest.Status.Phase) {
			return errAlreadyFinished
		}
		markAbandoned(latest, metav1.NewTime(e.cfg.Now()), "canceled while no runner was alive")
		return nil
	})
	if errors.Is(err, errAlreadyFinished) {
		return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("%s is already %s", name, exec.Status.Phase)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("record the cancel of %s: %w", name, err)
	}
	if journal != nil {
		if err := journal.delete(ctx); err != nil { // the record holds everything
			e.cfg.Logger.Warn("delete the execution's journal", "journal", journalName(name), "err", err)
		}
	}
	if err := e.finishPlanStatus(ctx, exec); err != nil {
		e.cfg.Logger.Warn("update plan status", "err", err)
	}
	return &CancelResult{Phase: exec.Status.Phase, Message: fmt.Sprintf("%s had no live runner; recorded it Canceled", name)}, nil
}

var errAlreadyFinished = errors.New("already finished")

// markAbandoned ends an execution whose runner is gone, Canceled with msg: actions that were
// running are Canceled (they may or may not have completed), pending ones Skipped.
func markAbandoned(exec *v1alpha1.DRPlanExecution, now metav1.Time, msg string) {
	st := &exec.Status
	for i := range st.StageStatuses {
		ss := &st.StageStatuses[i]
		for j := range ss.WorkflowExecutions {
			w := &ss.WorkflowExecutions[j]
			for k := range w.ActionStatuses {
				a := &w.ActionStatuses[k]
				switch {
				case a.Phase == v1alpha1.PhaseRunning:
					a.Phase, a.CompletionTime = v1alpha1.PhaseCanceled, &now
					a.Message = "canceled: its runner stopped while it was running; it may or may not have completed"
				case !v1alpha1.IsFinished(a.Phase):
					a.Phase, a.Message = v1alpha1.PhaseSkipped, "skipped: the execution was canceled"
				}
			}
			if !v1alpha1.IsFinished(w.Phase) {
				w.Phase, w.CompletionTime, w.CurrentAction = v1alpha1.PhaseCanceled, &now, ""
			}
		}
		if !v1alpha1.IsFinished(ss.Phase) {
			ss.Phase, ss.CompletionTime = v1alpha1.PhaseCanceled, &now
		}
	}
	st.Phase, st.CompletionTime = v1alpha1.PhaseCanceled, &now
	st.Message = msg
	endControls(st, msg)
	refreshSummary(st)
}
