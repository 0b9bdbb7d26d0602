package controller

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// indexWorkflowRefs indexes plans by the workflows they reference ("namespace/name"), so that a
// change to a workflow finds its plans without listing them all.
const indexWorkflowRefs = "drctl.workflowRefs"

func addIndexes(ctx context.Context, mgr manager.Manager) error {
	return mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.DRPlan{}, indexWorkflowRefs, func(obj client.Object) []string {
		return workflowKeys(obj.(*v1alpha1.DRPlan))
	})
}

// workflowKeys are the "namespace/name" of every workflow plan references.
func workflowKeys(plan *v1alpha1.DRPlan) []string {
	var keys []string
	seen := map[string]bool{}
	for _, st := range plan.Spec.Stages {
		for _, ref := range st.Workflows {
			k := validate.WorkflowNamespace(plan, ref.WorkflowRef) + "/" + ref.WorkflowRef.Name
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// plansReferencing maps a workflow to the plans that reference it.
func plansReferencing(c client.Reader) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, wf client.Object) []reconcile.Request {
		list := &v1alpha1.DRPlanList{}
		if err := c.List(ctx, list, client.MatchingFields{indexWorkflowRefs: wf.GetNamespace() + "/" + wf.GetName()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, len(list.Items))
		for i, p := range list.Items {
			reqs[i] = reconcile.Request{NamespacedName: types.NamespacedName{Namespace: p.Namespace, Name: p.Name}}
		}
		return reqs
	}
}

// workflowsOf maps a plan to the workflows it references (whose undeclared parameters it may
// supply).
func workflowsOf(_ context.Context, obj client.Object) []reconcile.Request {
	var reqs []reconcile.Request
	for _, k := range workflowKeys(obj.(*v1alpha1.DRPlan)) {
		ns, name, _ := strings.Cut(k, "/")
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
	}
	return reqs
}
