package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/validate"
)

// executionWebhook admits a DRPlanExecution only if it can run now: drctl validate's rules for
// it, its plan and the plan's workflows pass; the plan has no live run (judged by its Lease, as
// the runners judge it) and no unfinished execution in the way; a Revert names an Execute of the
// same plan that has ended. Its spec never changes after creation: a new run is a new execution.
//
// A runner (drctl execute, revert) takes the plan's Lease before it creates its execution: the
// Lease held for that very execution is no obstacle.
type executionWebhook struct {
	client    client.Reader // the cache
	apiReader client.Reader // the Lease, as stored
	clock     *lease.ServerClock
}

var _ admission.Validator[*v1alpha1.DRPlanExecution] = &executionWebhook{}

func (w *executionWebhook) ValidateCreate(ctx context.Context, exec *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	name := objectName(v1alpha1.KindDRPlanExecution, exec.Namespace, exec.Name)
	refs := validate.RefCheck{Resolver: clusterResolver{ctx: ctx, reader: w.client}, MissingSeverity: validate.SeverityError}
	warnings, err := judge(name, validate.CheckExecution(exec, refs))
	if err != nil || engine.ManagedElsewhere(exec) {
		return warnings, err // another implementation judges the rest
	}
	plan := &v1alpha1.DRPlan{}
	if err := w.client.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.PlanRef}, plan); err != nil {
		return warnings, err // CheckExecution found it a moment ago
	}
	plans, err := listPlans(ctx, w.client)
	if err != nil {
		return warnings, err
	}
	if v := planVerdict(ctx, w.client, plan, plans); !v.valid() {
		return warnings, deny(name, "spec.planRef: DRPlan %s/%s cannot run: %s", plan.Namespace, plan.Name, v.message())
	}
	if exec.Spec.OperationType == v1alpha1.OperationRevert {
		target := &v1alpha1.DRPlanExecution{}
		if err := w.client.Get(ctx, client.ObjectKey{Namespace: exec.Namespace, Name: exec.Spec.RevertExecutionRef}, target); err != nil {
			return warnings, err
		}
		if err := engine.Revertable(target); err != nil {
			return warnings, deny(name, "spec.revertExecutionRef: %v", err)
		}
	}
	return warnings, w.refuseIfPlanBusy(ctx, name, exec, plan)
}

// refuseIfPlanBusy refuses a new execution while the plan has a live run or an unfinished one
// without a runner (to be resumed, reverted or canceled first), as a runner would refuse it.
func (w *executionWebhook) refuseIfPlanBusy(ctx context.Context, name string, exec *v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan) error {
	holder, err := lease.Describe(ctx, w.apiReader, w.clock, plan.Namespace, lease.Name(plan.Name))
	if err != nil {
		return err
	}
	if holder != nil && !holder.Expired && engine.HolderExecution(holder.Holder) != exec.Name {
		return deny(name, "spec.planRef: DRPlan %s is running: %s holds it; wait for the run to end or cancel it", plan.Name, holder.Holder)
	}
	cur := plan.Status.CurrentExecution
	if cur == nil || cur.Name == exec.Name || cur.Name == exec.Spec.RevertExecutionRef {
		return nil // reverting an unfinished run is one way out of it
	}
	other := &v1alpha1.DRPlanExecution{}
	if err := w.client.Get(ctx, client.ObjectKey{Namespace: plan.Namespace, Name: cur.Name}, other); err != nil {
		return client.IgnoreNotFound(err)
	}
	if v1alpha1.IsFinished(other.Status.Phase) {
		return nil
	}
	return deny(name, "spec.planRef: DRPlan %s has an unfinished execution, %s (%s); resume, revert or cancel it first", plan.Name, cur.Name, other.Status.Phase)
}

func (w *executionWebhook) ValidateUpdate(_ context.Context, old, exec *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	if !equality.Semantic.DeepEqual(old.Spec, exec.Spec) {
		return nil, deny(objectName(v1alpha1.KindDRPlanExecution, exec.Namespace, exec.Name),
			"spec: Forbidden: an execution's spec cannot change after it is created; create a new execution instead")
	}
	return nil, nil
}

func (w *executionWebhook) ValidateDelete(context.Context, *v1alpha1.DRPlanExecution) (admission.Warnings, error) {
	return nil, nil
}

// executionDefaulter labels a new execution with its plan and operation, as drctl's runners do,
// so that `kubectl get drpe -l drplan=<plan>` finds it before it runs.
type executionDefaulter struct{}

var _ admission.Defaulter[*v1alpha1.DRPlanExecution] = executionDefaulter{}

func (executionDefaulter) Default(_ context.Context, exec *v1alpha1.DRPlanExecution) error {
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
