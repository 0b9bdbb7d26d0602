package engine

import (
	"context"
	"fmt"
	"maps"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// RunOptions says how to run an execution someone else created.
type RunOptions struct {
	// LockTimeout is how long to wait for a plan locked by another run (0: fail at once with a
	// *LockedError, and the execution stays as it was, to be run later).
	LockTimeout time.Duration
	// OnStart is called once the execution holds the lease and records its start.
	OnStart func(*v1alpha1.DRPlanExecution)
}

// Run runs an execution that a user created (kubectl apply, a GitOps tool) and no runner has
// started yet — the in-cluster controller's entry point. It validates the execution, its plan and
// workflows as stored, takes the plan's Lease exactly as Execute and Revert do, claims the
// execution (labels, runner annotations, initial status) and runs it to its end.
//
// An execution that cannot run (an invalid plan, a missing workflow, a Revert of something that
// cannot be reverted) is recorded Failed with the reason, and nothing else happens: the Result
// says so and the error is nil, because the record, not the caller, is where its author looks.
// A locked plan returns a *LockedError and a failed API call an *APIError, both leaving the
// execution untouched, to be run again later.
func (e *Engine) Run(ctx context.Context, exec *v1alpha1.DRPlanExecution, opts RunOptions) (*Result, error) {
	res, err := e.runCreated(ctx, exec, opts)
	return res, classify(err)
}

func (e *Engine) runCreated(ctx context.Context, exec *v1alpha1.DRPlanExecution, opts RunOptions) (*Result, error) {
	if Started(exec) {
		return nil, invalidf("%s was started already (it is %s); resume it instead", exec.Name, orPending(exec.Status.Phase))
	}
	if by := exec.Annotations[AnnotationCreatedBy]; by != "" {
		// Its runner stopped between creating it and recording its start: nothing ran, and the
		// person who ran it was told so. Running it now would be a run nobody asked for.
		return e.refuse(ctx, exec, invalidf("%s created it for itself (%s@%s pid %s) and stopped before its first action; nothing ran: run the plan again",
			by, exec.Annotations[AnnotationRunnerUser], exec.Annotations[AnnotationRunnerHost], exec.Annotations[AnnotationRunnerPID]))
	}
	p, err := e.prepareCreated(ctx, exec.DeepCopy())
	if IsInvalid(err) {
		return e.refuse(ctx, exec, err)
	}
	if err != nil {
		return nil, err
	}
	res, err := e.start(ctx, p, launch{lockTimeout: opts.LockTimeout, onStart: opts.OnStart, adopt: true})
	if p.loaded != nil && err == nil {
		e.markWorkflowsReady(ctx, p.loaded)
	}
	return res, err
}

// Started reports whether a runner has claimed exec: its record has a phase or names a runner.
// An execution a user just created has neither.
func Started(exec *v1alpha1.DRPlanExecution) bool {
	p := exec.Status.Phase
	return (p != "" && p != v1alpha1.PhasePending) || exec.Status.Runner != nil
}

// prepareCreated does everything of a Run that changes nothing in the cluster.
func (e *Engine) prepareCreated(ctx context.Context, exec *v1alpha1.DRPlanExecution) (*preparedRun, error) {
	exec.Status = v1alpha1.DRPlanExecutionStatus{}
	spec := exec.Spec
	switch spec.OperationType {
	case v1alpha1.OperationExecute:
		l, err := e.loadPlan(ctx, exec.Namespace, spec.PlanRef)
		if err != nil {
			return nil, err
		}
		return e.prepareExecution(ctx, l, exec)
	case v1alpha1.OperationRevert:
		if spec.RevertExecutionRef == "" {
			return nil, invalidf("spec.revertExecutionRef is required for a Revert: it names the execution to undo")
		}
		target, plan, err := e.loadRevert(ctx, exec.Namespace, spec.RevertExecutionRef)
		if err != nil {
			return nil, err
		}
		if target.Spec.PlanRef != spec.PlanRef {
			return nil, invalidf("spec.revertExecutionRef: %s ran plan %s, not %s; a Revert undoes an execution of its own plan",
				target.Name, target.Spec.PlanRef, spec.PlanRef)
		}
		return e.prepareRevert(ctx, exec, target, plan)
	}
	return nil, invalidf("spec.operationType %q: want Execute or Revert", spec.OperationType)
}

func mergeMaps(base, add map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, add)
	return out
}

// adopt claims an execution a user created, under the plan's Lease: it must still be unstarted
// and unchanged since it was prepared (else the caller runs it again from what it is now). The
// update is guarded by the resourceVersion, so no other writer slips in between.
func (e *Engine) adopt(ctx context.Context, exec *v1alpha1.DRPlanExecution) error {
	latest := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Name), latest); err != nil {
		return fmt.Errorf("read DRPlanExecution %s/%s: %w", exec.Namespace, exec.Name, err)
	}
	if Started(latest) {
		return invalidf("%s was started by another runner meanwhile (it is %s)", exec.Name, orPending(latest.Status.Phase))
	}
	if latest.Generation != exec.Generation || latest.UID != exec.UID {
		return fmt.Errorf("DRPlanExecution %s/%s changed while it was prepared; run it again", exec.Namespace, exec.Name)
	}
	// Only the stamp is added: what others wrote meanwhile (a cancel request) stays.
	stamp := &v1alpha1.DRPlanExecution{Spec: latest.Spec}
	e.stamp(stamp, latest.Spec.PlanRef)
	latest.Labels = mergeMaps(latest.Labels, stamp.Labels)
	latest.Annotations = mergeMaps(latest.Annotations, stamp.Annotations)
	if err := e.cfg.Client.Update(ctx, latest); err != nil {
		return fmt.Errorf("claim DRPlanExecution %s/%s: %w", exec.Namespace, exec.Name, err)
	}
	exec.ObjectMeta = latest.ObjectMeta
	return nil
}

// Refuse records an execution that a user created and no runner started as one that cannot run:
// Failed, with why, and nothing ran — for a caller's own policy (a controller that may not act
// for the plan's namespace, say). An execution already started is left alone (*InvalidError).
func (e *Engine) Refuse(ctx context.Context, exec *v1alpha1.DRPlanExecution, why string) (*Result, error) {
	if Started(exec) {
		return nil, invalidf("%s was started already (it is %s)", exec.Name, orPending(exec.Status.Phase))
	}
	res, err := e.refuse(ctx, exec, &InvalidError{What: why})
	return res, classify(err)
}

// Warn posts a Warning event about exec, as runs post theirs (a controller saying why it leaves
// an execution alone, say).
func (e *Engine) Warn(exec *v1alpha1.DRPlanExecution, reason, message string) {
	events := newKubeEvents(e.cfg.Client, exec, e.cfg.Logger, nil)
	events.warning(reason, "%s", message)
	events.close()
}

// MarkWaiting records why an execution a user created has not started yet (its plan is busy, say):
// phase Pending and the reason, so that its author sees it waits and for what. It writes only a
// change, guarded by the resourceVersion it was read at; an execution already started is left
// alone.
func (e *Engine) MarkWaiting(ctx context.Context, exec *v1alpha1.DRPlanExecution, why string) error {
	if Started(exec) || (exec.Status.Phase == v1alpha1.PhasePending && exec.Status.Message == why) {
		return nil
	}
	latest := exec.DeepCopy()
	latest.Status.Phase, latest.Status.Message = v1alpha1.PhasePending, why
	return classify(e.cfg.Client.Status().Update(ctx, latest))
}

// refuse records an execution that cannot run: Failed, with the reason, and nothing ran. The write
// is guarded by the resourceVersion the execution was read at, so a runner that claimed it
// meanwhile is never overwritten.
func (e *Engine) refuse(ctx context.Context, exec *v1alpha1.DRPlanExecution, invalid error) (*Result, error) {
	latest := exec.DeepCopy()
	now := metav1.NewTime(e.cfg.Now())
	msg := "cannot run; nothing was changed: " + invalid.Error()
	latest.Status = v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseFailed, Message: msg, StartTime: &now, CompletionTime: &now}
	if err := e.cfg.Client.Status().Update(ctx, latest); err != nil {
		return nil, fmt.Errorf("record that %s cannot run: %w", exec.Name, err)
	}
	events := newKubeEvents(e.cfg.Client, latest, e.cfg.Logger, nil)
	events.warning("ExecutionInvalid", "%s", msg)
	events.close()
	e.cfg.Logger.Info("execution cannot run; recorded Failed", "execution", exec.Name, "reason", invalid)
	return &Result{Execution: latest, Phase: v1alpha1.PhaseFailed, Message: msg}, nil
}
