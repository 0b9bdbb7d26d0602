package engine

import (
	"context"
	"time"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ResumeOptions names the execution to resume.
type ResumeOptions struct {
	Namespace string
	Execution string
	// LockTimeout is how long to wait for the dead runner's Lease to expire (default: the lease
	// duration and a little more, so a resume started right after a crash goes through).
	LockTimeout time.Duration
	OnStart     func(*v1alpha1.DRPlanExecution)
}

// Resume continues a Running execution whose runner died, from its record: finished actions are
// never repeated; an action recorded Running is attempted again with its recorded outputs, so that
// objects it created are adopted (they carry the execution and action in their labels), a Job is
// awaited and an HTTP call is sent again (at-least-once).
func (e *Engine) Resume(ctx context.Context, opts ResumeOptions) (*Result, error) {
	exec := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(opts.Namespace, opts.Execution), exec); err != nil {
		return nil, invalidf("DRPlanExecution %s/%s: %v", opts.Namespace, opts.Execution, err)
	}
	if v1alpha1.IsFinished(exec.Status.Phase) || exec.Status.Phase == v1alpha1.PhaseUnknown {
		if exec.Status.Phase == v1alpha1.PhaseUnknown {
			return nil, invalidf("%s is Unknown: check what its running actions did, then revert it or run the plan again", exec.Name)
		}
		return nil, invalidf("%s is already %s; there is nothing to resume", exec.Name, exec.Status.Phase)
	}
	if len(exec.Status.StageStatuses) == 0 {
		return nil, invalidf("%s has no recorded progress to resume from", exec.Name)
	}
	var prog *program
	var err error
	if exec.Spec.OperationType == v1alpha1.OperationRevert {
		target, terr := e.loadRevertTarget(ctx, exec)
		if terr != nil {
			return nil, terr
		}
		prog, err = e.revertProgram(exec, target)
	} else {
		prog, err = executeProgram(exec, exec.Namespace)
	}
	if err != nil {
		return nil, err
	}
	wait := opts.LockTimeout
	if wait <= 0 {
		wait = e.cfg.LeaseDuration + 5*time.Second
	}
	l := lease.New(e.cfg.Client, e.cfg.Clock, exec.Namespace, lease.Name(exec.Spec.PlanRef), e.holder(exec.Name))
	l.Duration = e.cfg.LeaseDuration
	if err := l.Acquire(ctx, wait); err != nil {
		return nil, err
	}
	runner := e.runnerInfo()
	exec.Status.Runner = &runner
	if err := e.cfg.Client.Status().Update(ctx, exec); err != nil {
		_ = l.Release(ctx)
		return nil, err
	}
	if opts.OnStart != nil {
		opts.OnStart(exec.DeepCopy())
	}
	return e.newRunner(exec, prog, l, exec.Namespace, exec.Spec.OperationType == v1alpha1.OperationRevert).run(ctx)
}
