package cmdutil

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ListKind lists (or gets, with a name) the objects of kind in namespace ns ("" for all), all
// pages of them.
func ListKind(ctx context.Context, c client.Reader, kind, ns, name string, sel labels.Selector) (client.ObjectList, error) {
	var list client.ObjectList
	switch kind {
	case v1alpha1.KindDRPlan:
		list = &v1alpha1.DRPlanList{}
	case v1alpha1.KindDRWorkflow:
		list = &v1alpha1.DRWorkflowList{}
	default:
		list = &v1alpha1.DRPlanExecutionList{}
	}
	opts := []client.ListOption{client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}}
	if name != "" {
		opts = append(opts, client.MatchingFields{"metadata.name": name})
	}
	if err := listAll(ctx, c, list, opts...); err != nil {
		return nil, err
	}
	if name != "" && len(Items(list)) == 0 {
		return nil, fmt.Errorf("%s %q not found in namespace %q", kind, name, ns)
	}
	return list, nil
}

// listAll lists in pages of 500, so 5000 executions never come in one response.
func listAll(ctx context.Context, c client.Reader, list client.ObjectList, opts ...client.ListOption) error {
	page := list.DeepCopyObject().(client.ObjectList)
	cont := ""
	for {
		err := c.List(ctx, page, append(opts, client.Limit(500), client.Continue(cont))...)
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("the cluster does not serve drctl's kinds: run drctl install (%w)", err)
		}
		if err != nil {
			return err
		}
		appendItems(list, page)
		if cont = page.GetContinue(); cont == "" {
			return nil
		}
	}
}

func appendItems(into, page client.ObjectList) {
	switch l := into.(type) {
	case *v1alpha1.DRPlanList:
		l.Items = append(l.Items, page.(*v1alpha1.DRPlanList).Items...)
	case *v1alpha1.DRWorkflowList:
		l.Items = append(l.Items, page.(*v1alpha1.DRWorkflowList).Items...)
	case *v1alpha1.DRPlanExecutionList:
		l.Items = append(l.Items, page.(*v1alpha1.DRPlanExecutionList).Items...)
	}
}

// Items are the objects of a list of drctl's kinds.
func Items(list client.ObjectList) []client.Object {
	var objs []client.Object
	switch l := list.(type) {
	case *v1alpha1.DRPlanList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	case *v1alpha1.DRWorkflowList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	case *v1alpha1.DRPlanExecutionList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	}
	return objs
}
