package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// executionReconciler decides what to do with a DRPlanExecution, level-based and idempotent:
//
//	not drctl's (another implementation's)      never touched
//	running in this process                     nothing: the run records its own progress
//	finished, or Unknown                        nothing (Unknown needs a person: resume, revert or cancel)
//	not started                                 run it (engine.Run: claimed through the plan's Lease)
//	Running, its runner's plan Lease is live    look again when the Lease would expire
//	Running, the plan Lease expired or is free  resume it here (its runner died)
//
// A plan whose Lease is held by a live runner is never touched before the Lease expires, so serve
// and the CLI never run one plan at once: the engine takes the same Lease either way.
type executionReconciler struct {
	client    client.Client // the manager's cached client
	apiReader client.Reader // Leases are read as stored, not from a cache
	clock     *lease.ServerClock
	newEngine func(engine.Observer, client.WithWatch) *engine.Engine
	clients   *actionClients
	runs      *runs
	warned    sync.Map // execution UID -> the reason last given for not resuming it
	opts      Options
	log       *slog.Logger
}

// leaseMargin is how long after a Lease's expiry the reconciler looks again: the server's clock is
// known to about a second.
const leaseMargin = 2 * time.Second

func (r *executionReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	exec := &v1alpha1.DRPlanExecution{}
	if err := r.client.Get(ctx, req.NamespacedName, exec); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	switch {
	case engine.ManagedElsewhere(exec), r.runs.running(req.NamespacedName), v1alpha1.IsFinished(exec.Status.Phase):
		return reconcile.Result{}, nil
	case exec.Status.Phase == v1alpha1.PhaseUnknown:
		return reconcile.Result{}, nil
	}
	// Whoever holds the plan now — a CLI, another replica, this process for another execution —
	// keeps it until its Lease lapses.
	holder, err := lease.Describe(ctx, r.apiReader, r.clock, exec.Namespace, lease.Name(exec.Spec.PlanRef))
	if err != nil {
		return reconcile.Result{}, err
	}
	if holder != nil && !holder.Expired {
		wait := min(holder.Expires.Sub(r.clock.Now())+leaseMargin, r.opts.ReconcileInterval)
		r.log.Debug("plan held by a live runner; looking again later", "execution", req, "holder", holder.Holder, "after", wait)
		if engine.HolderExecution(holder.Holder) != exec.Name && exec.Annotations[engine.AnnotationCreatedBy] == "" {
			// Say why it waits (an execution its own runner holds is about to record its start).
			err = r.newEngine(nil, nil).MarkWaiting(ctx, exec, fmt.Sprintf("waiting: the plan is held by %s; this execution starts when it is free", holder.Holder))
		}
		return reconcile.Result{RequeueAfter: wait}, client.IgnoreNotFound(ignoreConflict(err))
	}
	// The plan as stored, not as cached: whose rights the run gets is decided on it.
	plan := &v1alpha1.DRPlan{}
	err = r.apiReader.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.PlanRef}, plan)
	if apierrors.IsNotFound(err) {
		if !engine.Started(exec) {
			_, err := r.newEngine(nil, nil).Refuse(ctx, exec, fmt.Sprintf("DRPlan %s/%s not found", exec.Namespace, exec.Spec.PlanRef))
			return reconcile.Result{}, ignoreConflict(err)
		}
		r.notResuming(exec, fmt.Sprintf("its plan %s is gone", exec.Spec.PlanRef))
		return reconcile.Result{}, nil
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	acting, refusal, err := r.identity(ctx, plan)
	var missing *missingServiceAccount
	switch {
	case errors.As(err, &missing) && !engine.Started(exec):
		// Perhaps applied together with the plan and not there yet: wait for it, saying so.
		err := r.newEngine(nil, nil).MarkWaiting(ctx, exec, "waiting: "+missing.Error())
		return reconcile.Result{RequeueAfter: r.opts.RetryDelay}, client.IgnoreNotFound(ignoreConflict(err))
	case errors.As(err, &missing):
		r.notResuming(exec, missing.Error())
		return reconcile.Result{}, nil
	case err != nil:
		return reconcile.Result{}, err
	}
	if !engine.Started(exec) {
		if refusal != "" {
			_, err := r.newEngine(nil, nil).Refuse(ctx, exec, refusal)
			return reconcile.Result{}, ignoreConflict(err)
		}
		if other := r.unfinishedOther(ctx, plan, exec); other != "" && exec.Annotations[engine.AnnotationCreatedBy] == "" {
			// Queued behind a run that needs a person (resume, revert or cancel it): look again
			// later, without taking the plan's Lease in the way of whoever handles it.
			err := r.newEngine(nil, nil).MarkWaiting(ctx, exec, fmt.Sprintf("waiting: the plan's execution %s is unfinished; resume, revert or cancel it (drctl cancel %s), then this one starts", other, other))
			return reconcile.Result{RequeueAfter: r.opts.ReconcileInterval}, client.IgnoreNotFound(ignoreConflict(err))
		}
		return r.launch(req.NamespacedName, exec, "run", acting, func(ctx context.Context, eng *engine.Engine) (*engine.Result, error) {
			return eng.Run(ctx, exec, engine.RunOptions{})
		})
	}
	if refusal != "" {
		r.notResuming(exec, refusal)
		return reconcile.Result{}, nil
	}
	// Running, and no live runner holds the plan: its runner died. Resume it from its record.
	return r.launch(req.NamespacedName, exec, "resume", acting, func(ctx context.Context, eng *engine.Engine) (*engine.Result, error) {
		leaseTakeovers.Inc()
		return eng.Resume(ctx, engine.ResumeOptions{Namespace: exec.Namespace, Execution: exec.Name, LockTimeout: leaseMargin})
	})
}

// unfinishedOther names the plan's current execution when it is another, unfinished one that a
// new run must wait for (the engine would refuse to start: see refuseIfRunning).
func (r *executionReconciler) unfinishedOther(ctx context.Context, plan *v1alpha1.DRPlan, exec *v1alpha1.DRPlanExecution) string {
	if other, err := engine.UnfinishedExecution(ctx, r.client, plan, exec); err == nil && other != nil {
		return other.Name
	}
	return ""
}

// identity is the client a run of plan acts with (identity.go), or why serve may not run it: a
// ServiceAccount that does not exist is said before anything runs, not at the first action it
// may not perform.
func (r *executionReconciler) identity(ctx context.Context, plan *v1alpha1.DRPlan) (acting client.WithWatch, refusal string, err error) {
	user, denied := runAs(plan, r.opts)
	if denied != nil {
		return nil, denied.Error(), nil
	}
	if ns, name, ok := serviceAccountOf(user); ok {
		err := r.apiReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &corev1.ServiceAccount{})
		switch {
		case apierrors.IsNotFound(err):
			return nil, "", &missingServiceAccount{namespace: ns, name: name, plan: plan.Name}
		case err != nil:
			return nil, "", err
		}
	}
	acting, err = r.clients.forUser(user)
	return acting, "", err
}

// missingServiceAccount: the account a plan's runs act as does not exist (yet).
type missingServiceAccount struct{ namespace, name, plan string }

func (m *missingServiceAccount) Error() string {
	return fmt.Sprintf("ServiceAccount %s/%s, which runs of plan %s act as, does not exist", m.namespace, m.name, m.plan)
}

// notResuming says, on the execution (once for each reason) and in the log, why serve leaves a
// run whose runner died.
func (r *executionReconciler) notResuming(exec *v1alpha1.DRPlanExecution, why string) {
	if last, ok := r.warned.Load(exec.UID); ok && last == why {
		return
	}
	r.warned.Store(exec.UID, why)
	msg := fmt.Sprintf("drctl serve does not resume this run (its runner stopped): %s. Resume it with drctl resume %s, or cancel it", why, exec.Name)
	r.log.Info("not resuming", "execution", exec.Namespace+"/"+exec.Name, "reason", why)
	r.newEngine(nil, nil).Warn(exec, "NotResumed", msg)
}

// ignoreConflict: a write that lost a race with another writer is retried by the event that
// writer's change brings, not reported.
func ignoreConflict(err error) error {
	if apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// launch starts a run of exec in its own goroutine.
func (r *executionReconciler) launch(key types.NamespacedName, exec *v1alpha1.DRPlanExecution, how string, acting client.WithWatch,
	run func(context.Context, *engine.Engine) (*engine.Result, error)) (reconcile.Result, error) {
	op := exec.Spec.OperationType
	result := r.runs.launch(key, func(ctx context.Context) time.Duration {
		log := r.log.With("execution", key.String(), "operation", op, "start", how)
		log.Info("starting")
		executionsStarted.WithLabelValues(string(op), how).Inc()
		begun := time.Now()
		res, err := run(ctx, r.newEngine(newActionMetrics(), acting))
		switch {
		case err == nil && res.Phase == v1alpha1.PhaseRunning:
			log.Info("handed over for the next runner to resume", "message", res.Message)
		case err == nil:
			log.Info("ended", "phase", res.Phase, "message", res.Message)
			finished(op, res, time.Since(begun))
		case engine.IsInvalid(err):
			// Run records an execution that cannot run; what is left is one that changed
			// under it (started elsewhere meanwhile): the next event shows what it is now.
			log.Info("not run", "reason", err)
		case ctx.Err() != nil:
			log.Info("stopped with the controller; the execution stays Running, to be resumed", "err", err)
		default: // locked, or the API server failed: nothing was changed; try again later
			log.Info("not started; trying again later", "reason", err, "after", r.opts.RetryDelay)
			if how == "run" {
				_ = r.newEngine(nil, nil).MarkWaiting(ctx, exec, fmt.Sprintf("waiting: not started (%v); trying again", err))
			}
			return r.opts.RetryDelay
		}
		return 0
	})
	switch result {
	case atCapacity:
		r.log.Debug("at --max-concurrent-executions; the execution waits", "execution", key)
		return reconcile.Result{RequeueAfter: r.opts.RetryDelay}, nil
	case notStarted:
		return reconcile.Result{RequeueAfter: time.Second}, nil
	case stopping:
		return reconcile.Result{}, nil // the next leader takes it
	}
	return reconcile.Result{}, nil
}
