package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/validate"
)

// executionWebhook admits a DRPlanExecution only if it can run now, by the checks a runner makes
// before it creates anything: drctl validate's rules for it; for an Execute, its plan and
// workflows as the engine validates them for this run (its own parameters included); for a
// Revert, an Execute of the same plan that has ended; and the plan free — no live run (judged by
// its Lease, as the runners judge it) and no unfinished execution in the way. Its spec never
// changes after creation: a new run is a new execution.
//
// A runner (drctl execute, revert) takes the plan's Lease before it creates its execution: the
// Lease held for that very execution is no obstacle. And a check the webhook cannot make (the API
// server failed a read) admits with a warning: the runner checks again under the plan's Lease, and
// a struggling API server must not stop a failover.
type executionWebhook struct {
	client    client.Reader // reads as stored: an execution may follow its plan by milliseconds
	apiReader client.Reader // the Lease, as stored
	clock     *lease.ServerClock
}

var _ admission.Validator[*v1alpha1.DRPlanExecution] = &executionWebhook{}

func (w *executionWebhook) ValidateCreate(ctx context.Context, exec *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	name := objectName(v1alpha1.KindDRPlanExecution, exec.Namespace, exec.Name)
	if why := checkSignals(ctx, &v1alpha1.DRPlanExecution{}, exec); why != "" {
		return nil, deny(name, "metadata.annotations[%s]: %s", engine.AnnotationSignals, why)
	}
	// References are looked up below, where a failed read is told from a missing object.
	warnings, err := judge(name, validate.CheckExecution(exec, validate.RefCheck{}))
	if err != nil || engine.ManagedElsewhere(exec) {
		return warnings, err // another implementation judges the rest
	}
	unchecked := func(what string, err error) admission.Warnings {
		return append(warnings, fmt.Sprintf("%s: %s not checked (%v); the runner checks it before it starts", name, what, err))
	}
	switch err := engine.CheckRun(ctx, w.client, exec); {
	case engine.IsInvalid(err):
		return warnings, deny(name, "%v", err)
	case err != nil:
		warnings = unchecked("the plan", err)
	}
	if exec.Spec.OperationType == v1alpha1.OperationRevert {
		ref := exec.Spec.RevertExecutionRef
		target := &v1alpha1.DRPlanExecution{}
		err := w.client.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: ref}, target)
		switch {
		case apierrors.IsNotFound(err):
			return warnings, deny(name, "spec.revertExecutionRef: Not found: DRPlanExecution %s/%s", exec.Namespace, ref)
		case err != nil:
			warnings = unchecked("the reverted execution", err)
		case ref == exec.Name:
			return warnings, deny(name, "spec.revertExecutionRef: Invalid value %q: an execution cannot revert itself", ref)
		case target.Spec.PlanRef != exec.Spec.PlanRef:
			return warnings, deny(name, "spec.revertExecutionRef: Invalid value %q: it ran plan %q, not %q", ref, target.Spec.PlanRef, exec.Spec.PlanRef)
		case engine.Revertable(target) != nil:
			return warnings, deny(name, "spec.revertExecutionRef: %v", engine.Revertable(target))
		}
	}
	busy, err := w.planBusy(ctx, exec)
	if err != nil {
		return unchecked("whether the plan is running", err), nil
	}
	if busy != "" {
		return warnings, deny(name, "spec.planRef: %s", busy)
	}
	return warnings, nil
}

// planBusy says why the plan cannot take a new execution now ("" when it can): a live run, or
// an unfinished execution without a runner (to be resumed, reverted or canceled first), as a
// runner would refuse it.
func (w *executionWebhook) planBusy(ctx context.Context, exec *v1alpha1.DRPlanExecution) (string, error) {
	holder, err := lease.Describe(ctx, w.apiReader, w.clock, exec.Namespace, lease.Name(exec.Spec.PlanRef))
	if err != nil {
		return "", err
	}
	if holder != nil && !holder.Expired && engine.HolderExecution(holder.Holder) != exec.Name && !w.holderFinished(ctx, exec.Namespace, holder.Holder) {
		return fmt.Sprintf("DRPlan %s is running: %s holds it; wait for the run to end or cancel it", exec.Spec.PlanRef, holder.Holder), nil
	}
	plan := &v1alpha1.DRPlan{}
	if err := w.client.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.PlanRef}, plan); err != nil {
		return "", err
	}
	other, err := engine.UnfinishedExecution(ctx, w.client, plan, exec)
	if err != nil || other == nil {
		return "", err
	}
	return fmt.Sprintf("DRPlan %s has an unfinished execution, %s (%s); resume, revert or cancel it first", plan.Name, other.Name, other.Status.Phase), nil
}

// holderFinished says whether the execution a live Lease's holder runs has already recorded its
// end: the runner writes the end before it releases the Lease, so for a moment a finished run
// still holds its plan. An execution admitted then waits for the Lease (the reconciler marks it
// so) instead of being refused with a run the user sees has ended.
func (w *executionWebhook) holderFinished(ctx context.Context, namespace, holder string) bool {
	name := engine.HolderExecution(holder)
	if name == "" {
		return false
	}
	held := &v1alpha1.DRPlanExecution{}
	if err := w.apiReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, held); err != nil {
		return false
	}
	return v1alpha1.IsFinished(held.Status.Phase)
}

func (w *executionWebhook) ValidateUpdate(ctx context.Context, old, exec *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	name := objectName(v1alpha1.KindDRPlanExecution, exec.Namespace, exec.Name)
	if !equality.Semantic.DeepEqual(old.Spec, exec.Spec) {
		return nil, deny(name, "spec: Forbidden: an execution's spec cannot change after it is created; create a new execution instead")
	}
	if why := checkSignals(ctx, old, exec); why != "" {
		return nil, deny(name, "metadata.annotations[%s]: %s", engine.AnnotationSignals, why)
	}
	return nil, nil
}

// checkSignals keeps the operator's signals to an execution true: they are only ever appended,
// and each one appended names as its sender the user the API server authenticated for the
// request, so that the record's "who" cannot be forged by whoever may annotate the execution. It
// says why an update breaks that ("" when it does not).
func checkSignals(ctx context.Context, old, exec *v1alpha1.DRPlanExecution) string {
	before, after := old.Annotations[engine.AnnotationSignals], exec.Annotations[engine.AnnotationSignals]
	if before == after {
		return ""
	}
	sent, _ := engine.ParseSignals(before)
	now, err := engine.ParseSignals(after)
	if err != nil {
		return fmt.Sprintf("Invalid value: %v", err)
	}
	if len(now) < len(sent) || !equality.Semantic.DeepEqual(sent, now[:len(sent)]) {
		return "Forbidden: signals are only appended; those sent stay as they are"
	}
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return "Forbidden: the sender of the signals is unknown"
	}
	for _, s := range now[len(sent):] {
		if err := s.Validate(); err != nil {
			return fmt.Sprintf("Invalid value: signal %q: %v", s.ID, err)
		}
		if s.By != req.UserInfo.Username {
			return fmt.Sprintf("Forbidden: signal %s says it was sent by %q, but %q sent it", s.ID, s.By, req.UserInfo.Username)
		}
	}
	return ""
}

func (w *executionWebhook) ValidateDelete(context.Context, *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	return nil, nil
}

// executionDefaulter labels a new execution with its plan and operation, as drctl's runners do,
// so that `kubectl get drpe -l drplan=<plan>` finds it before it runs. It also drops a
// created-by annotation (engine.AnnotationCreatedBy) from an execution whose plan is not held
// for it: copied from a CLI run's execution, it would get the copy refused as one a runner left.
type executionDefaulter struct {
	apiReader client.Reader
	clock     *lease.ServerClock
}

var _ admission.Defaulter[*v1alpha1.DRPlanExecution] = executionDefaulter{}

func (d executionDefaulter) Default(ctx context.Context, exec *v1alpha1.DRPlanExecution) error {
	if _, ok := exec.Annotations[engine.AnnotationCreatedBy]; ok {
		holder, err := lease.Describe(ctx, d.apiReader, d.clock, exec.Namespace, lease.Name(exec.Spec.PlanRef))
		if err == nil && (holder == nil || holder.Expired || engine.HolderExecution(holder.Holder) != exec.Name) {
			delete(exec.Annotations, engine.AnnotationCreatedBy)
		}
	}
	if exec.Labels == nil {
		exec.Labels = map[string]string{}
	}
	for k, v := range engine.ExecutionLabels(exec.Spec.PlanRef, exec.Spec.OperationType) {
		if _, set := exec.Labels[k]; !set {
			exec.Labels[k] = v
		}
	}
	return nil
}
