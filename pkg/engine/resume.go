package engine

import (
	"context"
	"fmt"
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

// Resume continues a Running execution whose runner died, or an Unknown one (its runner was cut off
// from the API server, or lost its record), from its record: finished actions are
// never repeated; an action recorded Running is attempted again with its recorded outputs, so that
// objects it created are adopted (they carry the execution and action in their labels), a Job is
// awaited and an HTTP call is sent again (at-least-once).
func (e *Engine) Resume(ctx context.Context, opts ResumeOptions) (*Result, error) {
	res, err := e.resume(ctx, opts)
	return res, classify(err)
}

func (e *Engine) resume(ctx context.Context, opts ResumeOptions) (*Result, error) {
	exec := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(opts.Namespace, opts.Execution), exec); err != nil {
		return nil, notFoundIsInvalid(err, "DRPlanExecution %s/%s", opts.Namespace, opts.Execution)
	}
	if err := resumable(exec); err != nil {
		return nil, err
	}
	var prog *program
	var err error
	if exec.Spec.OperationType == v1alpha1.OperationRevert {
		target, terr := e.loadRevertTarget(ctx, exec)
		if terr != nil {
			return nil, terr
		}
		if target, terr = e.restoreSensitive(ctx, target); terr != nil {
			return nil, terr
		}
		prog, err = e.revertProgram(exec, target)
	} else {
		restored, rerr := e.restoreSensitive(ctx, exec)
		if rerr != nil {
			return nil, rerr
		}
		prog, err = executeProgram(restored, exec.Namespace)
	}
	if err != nil {
		return nil, err
	}
	prog.buildRedactor(e.cfg.SensitiveHeaders)
	wait := opts.LockTimeout
	if wait <= 0 {
		// Long enough for the dead runner's Lease to expire, whatever duration it was taken with.
		wait = e.cfg.LeaseDuration + 5*time.Second
		if info, err := lease.Describe(ctx, e.cfg.Client, e.cfg.Clock, exec.Namespace, lease.Name(exec.Spec.PlanRef)); err == nil && info != nil {
			wait = max(wait, info.Expires.Sub(e.cfg.Clock.Now())+5*time.Second)
		}
	}
	l := e.newLease(exec.Namespace, exec.Spec.PlanRef, e.holder(exec.Name))
	if err := l.Acquire(ctx, wait); err != nil {
		return nil, err
	}
	// Take the record over: from now on a runner that held it before writes nothing more.
	previous := "an unknown runner"
	if r := exec.Status.Runner; r != nil {
		previous = fmt.Sprintf("%s@%s pid %d (%s)", r.User, r.Host, r.PID, orDefault(r.Mode, ModeCLI))
	}
	journal, err := e.claim(ctx, l, exec, func(latest *v1alpha1.DRPlanExecution) error {
		if err := resumable(latest); err != nil {
			return err
		}
		st := &latest.Status
		st.Phase, st.Message, st.CompletionTime = v1alpha1.PhaseRunning, "", nil // an Unknown run goes on
		// A record from before the snapshots were packed is packed now: the resumed run's writes
		// do not carry every workflow's spec again.
		return packWorkflowSnapshots(st)
	})
	if err != nil {
		_ = l.Release(ctx)
		return nil, err
	}
	if opts.OnStart != nil {
		opts.OnStart(exec.DeepCopy())
	}
	r := e.newRunner(exec, prog, l, journal, exec.Namespace, exec.Spec.OperationType == v1alpha1.OperationRevert)
	r.resumedFrom = previous
	return r.run(ctx)
}

// resumable says why exec cannot be resumed, or nil: Running and Unknown executions can.
func resumable(exec *v1alpha1.DRPlanExecution) error {
	if v1alpha1.IsFinished(exec.Status.Phase) {
		return invalidf("%s is already %s; there is nothing to resume", exec.Name, exec.Status.Phase)
	}
	if len(exec.Status.StageStatuses) == 0 {
		return invalidf("%s has no recorded progress to resume from", exec.Name)
	}
	return nil
}
