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

// planWebhook admits DRPlans by drctl validate's rules, with references resolved in the cluster,
// and refuses to delete a plan while it runs.
//
// A workflow the plan references that does not exist yet is a warning, not a refusal: `kubectl
// apply -f` of a folder, or a GitOps sync, may create the plan before its workflows, and the
// plan's status says Invalid until they exist. Everything else (a required parameter a workflow
// declares and the plan does not supply, a cycle in the stages) is refused.
type planWebhook struct {
	client    client.Reader // the cache
	apiReader client.Reader // the Lease, as stored
	clock     *lease.ServerClock
}

var _ admission.Validator[*v1alpha1.DRPlan] = &planWebhook{}

func (w *planWebhook) ValidateCreate(ctx context.Context, plan *v1alpha1.DRPlan) (admission.Warnings, error) {
	refs := validate.RefCheck{Resolver: clusterResolver{ctx: ctx, reader: w.client}, MissingSeverity: validate.SeverityWarning}
	return judge(objectName(v1alpha1.KindDRPlan, plan.Namespace, plan.Name), validate.CheckPlan(plan, refs))
}

func (w *planWebhook) ValidateUpdate(ctx context.Context, old, plan *v1alpha1.DRPlan) (admission.Warnings, error) {
	if equality.Semantic.DeepEqual(old.Spec, plan.Spec) {
		return nil, nil // labels, annotations, finalizers: nothing the rules judge
	}
	return w.ValidateCreate(ctx, plan)
}

func (w *planWebhook) ValidateDelete(ctx context.Context, plan *v1alpha1.DRPlan) (admission.Warnings, error) {
	name := objectName(v1alpha1.KindDRPlan, plan.Namespace, plan.Name)
	holder, err := lease.Describe(ctx, w.apiReader, w.clock, plan.Namespace, lease.Name(plan.Name))
	if err != nil {
		return nil, err
	}
	if holder != nil && !holder.Expired {
		return nil, deny(name, "cannot be deleted while it runs: %s holds it; cancel the run or wait for its end", holder.Holder)
	}
	if cur := plan.Status.CurrentExecution; cur != nil {
		exec := &v1alpha1.DRPlanExecution{}
		err := w.client.Get(ctx, client.ObjectKey{Namespace: plan.Namespace, Name: cur.Name}, exec)
		if err == nil && !v1alpha1.IsFinished(exec.Status.Phase) && !engine.ManagedElsewhere(exec) {
			return nil, deny(name, "cannot be deleted: its execution %s is %s with no live runner; resume, revert or cancel it first (drctl cancel %s)",
				cur.Name, exec.Status.Phase, cur.Name)
		}
	}
	return nil, nil
}
