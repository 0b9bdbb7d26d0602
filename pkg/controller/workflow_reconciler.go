package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// workflowReconciler keeps a DRWorkflow's status true to drctl validate's rules: phase Ready or
// Invalid, the Ready condition with the reason, observedGeneration and the action count. A
// parameter the workflow uses without declaring it is judged by the plans that reference it (a
// warning where all supply it, as upstream's examples need), so plans are watched too.
type workflowReconciler struct {
	client client.Client
}

func (r *workflowReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	wf := &v1alpha1.DRWorkflow{}
	if err := r.client.Get(ctx, req.NamespacedName, wf); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	plans, err := listPlans(ctx, r.client)
	if err != nil {
		return reconcile.Result{}, err
	}
	v := workflowVerdict(wf, plans)
	next := wf.DeepCopy()
	st := &next.Status
	st.Phase = v1alpha1.WorkflowReady
	if !v.valid() {
		st.Phase = v1alpha1.WorkflowInvalid
	}
	st.ObservedGeneration, st.ActionCount = wf.Generation, int32(len(wf.Spec.Actions))
	changed := readyCondition(&st.Conditions, wf.Generation, v)
	if !changed && wf.Status.Phase == st.Phase && wf.Status.ObservedGeneration == st.ObservedGeneration && wf.Status.ActionCount == st.ActionCount {
		return reconcile.Result{}, nil
	}
	return reconcile.Result{}, ignoreConflict(r.client.Status().Update(ctx, next))
}

// workflowVerdict is what drctl validate says of wf, given the cluster's plans.
func workflowVerdict(wf *v1alpha1.DRWorkflow, plans []*v1alpha1.DRPlan) *verdict {
	v := &verdict{}
	v.add("", validate.CheckWorkflow(wf, validate.PlansSupply(wf, plans)))
	return v
}

func listPlans(ctx context.Context, c client.Reader) ([]*v1alpha1.DRPlan, error) {
	list := &v1alpha1.DRPlanList{}
	if err := c.List(ctx, list); err != nil {
		return nil, err
	}
	plans := make([]*v1alpha1.DRPlan, len(list.Items))
	for i := range list.Items {
		plans[i] = &list.Items[i]
	}
	return plans, nil
}
