package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// planReconciler keeps a DRPlan's status true to drctl validate's rules, across its references:
// a plan turns Invalid, with the reason, when a workflow it references is deleted or becomes
// invalid, and back when that is fixed (workflows are watched and mapped to the plans that
// reference them). A valid plan keeps the phase its runs gave it (Ready, Executed); one coming
// back from Invalid gets it again from its last successful run.
type planReconciler struct {
	client client.Client
}

func (r *planReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	plan := &v1alpha1.DRPlan{}
	if err := r.client.Get(ctx, req.NamespacedName, plan); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	plans, err := listPlans(ctx, r.client)
	if err != nil {
		return reconcile.Result{}, err
	}
	v := planVerdict(ctx, r.client, plan, plans)
	next := plan.DeepCopy()
	st := &next.Status
	switch {
	case !v.valid():
		st.Phase = v1alpha1.PlanInvalid
	case st.Phase == "" || st.Phase == v1alpha1.PlanInvalid:
		st.Phase = phaseFromHistory(st)
	}
	st.ObservedGeneration = plan.Generation
	changed := readyCondition(&st.Conditions, plan.Generation, v)
	if !changed && plan.Status.Phase == st.Phase && plan.Status.ObservedGeneration == st.ObservedGeneration {
		return reconcile.Result{}, nil
	}
	return reconcile.Result{}, ignoreConflict(r.client.Status().Update(ctx, next))
}

// planVerdict is what drctl validate says of plan and of the workflows it references.
func planVerdict(ctx context.Context, c client.Reader, plan *v1alpha1.DRPlan, plans []*v1alpha1.DRPlan) *verdict {
	resolver := clusterResolver{ctx: ctx, reader: c}
	v := &verdict{}
	v.add("", validate.CheckPlan(plan, validate.RefCheck{Resolver: resolver, MissingSeverity: validate.SeverityError}))
	seen := map[string]bool{}
	for i, st := range plan.Spec.Stages {
		for j, ref := range st.Workflows {
			ns := validate.WorkflowNamespace(plan, ref.WorkflowRef)
			wf, ok := resolver.Workflow(ns, ref.WorkflowRef.Name)
			if !ok || seen[ns+"/"+wf.Name] {
				continue // a missing workflow is CheckPlan's finding
			}
			seen[ns+"/"+wf.Name] = true
			if wv := workflowVerdict(wf, plans); !wv.valid() {
				v.errors = append(v.errors, fmt.Sprintf("spec.stages[%d].workflows[%d].workflowRef: DRWorkflow %s/%s is invalid: %s", i, j, ns, wf.Name, wv.message()))
			}
		}
	}
	return v
}

// phaseFromHistory is the phase of a valid plan after its last successful run: Executed after
// an Execute, Ready after a Revert or before any run.
func phaseFromHistory(st *v1alpha1.DRPlanStatus) v1alpha1.PlanPhase {
	for _, h := range st.ExecutionHistory { // newest first
		if h.Phase == v1alpha1.PhaseSucceeded {
			if h.OperationType == v1alpha1.OperationExecute {
				return v1alpha1.PlanExecuted
			}
			return v1alpha1.PlanReady
		}
	}
	return v1alpha1.PlanReady
}
