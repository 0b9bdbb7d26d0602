package engine

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// maxHistory is how many executions a plan's status lists.
const maxHistory = 10

// updatePlanStatus changes a plan's status with fn, retrying on conflicts.
func (e *Engine) updatePlanStatus(ctx context.Context, namespace, name string, fn func(*v1alpha1.DRPlanStatus)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		plan := &v1alpha1.DRPlan{}
		if err := e.cfg.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, plan); err != nil {
			return err
		}
		fn(&plan.Status)
		return e.cfg.Client.Status().Update(ctx, plan)
	})
}

// startPlanStatus records a run starting: currentExecution, and a history entry on top.
func (e *Engine) startPlanStatus(ctx context.Context, exec *v1alpha1.DRPlanExecution) error {
	return e.updatePlanStatus(ctx, exec.Namespace, exec.Spec.PlanRef, func(st *v1alpha1.DRPlanStatus) {
		st.CurrentExecution = &v1alpha1.ObjectReference{Name: exec.Name, Namespace: exec.Namespace}
		setHistory(st, exec)
		if st.Phase == "" {
			st.Phase = v1alpha1.PlanReady
		}
	})
}

// finishPlanStatus records a run's end: currentExecution cleared (unless the end is Unknown), the history entry completed,
// and after a success the last execution and the phase (Executed after an Execute, Ready after a
// Revert).
func (e *Engine) finishPlanStatus(ctx context.Context, exec *v1alpha1.DRPlanExecution) error {
	return e.updatePlanStatus(ctx, exec.Namespace, exec.Spec.PlanRef, func(st *v1alpha1.DRPlanStatus) {
		// An Unknown run is unfinished business: it stays current, so that no new run starts
		// before it is resumed or canceled.
		if st.CurrentExecution != nil && st.CurrentExecution.Name == exec.Name && v1alpha1.IsFinished(exec.Status.Phase) {
			st.CurrentExecution = nil
		}
		setHistory(st, exec)
		if exec.Status.Phase != v1alpha1.PhaseSucceeded {
			return
		}
		st.LastExecutionRef = exec.Name
		st.LastExecutionTime = exec.Status.CompletionTime
		if exec.Spec.OperationType == v1alpha1.OperationRevert {
			st.Phase = v1alpha1.PlanReady
		} else {
			st.Phase = v1alpha1.PlanExecuted
		}
	})
}

// setHistory puts exec's record at the top of the history (replacing an older record of it),
// newest first, at most maxHistory entries.
func setHistory(st *v1alpha1.DRPlanStatus, exec *v1alpha1.DRPlanExecution) {
	rec := v1alpha1.ExecutionRecord{
		Name: exec.Name, Namespace: exec.Namespace, OperationType: exec.Spec.OperationType, Mode: exec.Spec.Mode,
		Phase: exec.Status.Phase, StartTime: exec.Status.StartTime, CompletionTime: exec.Status.CompletionTime,
	}
	if rec.StartTime == nil {
		now := metav1.Now()
		rec.StartTime = &now
	}
	history := []v1alpha1.ExecutionRecord{rec}
	for _, h := range st.ExecutionHistory {
		if h.Name != exec.Name || h.Namespace != exec.Namespace {
			history = append(history, h)
		}
	}
	if len(history) > maxHistory {
		history = history[:maxHistory]
	}
	st.ExecutionHistory = history
}
