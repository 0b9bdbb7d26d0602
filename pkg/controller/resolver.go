package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// clusterResolver resolves the references validate's rules follow (a plan's workflows, a
// revert's target) among the objects of the cluster, as the controller's cache holds them.
type clusterResolver struct {
	ctx    context.Context
	reader client.Reader
}

var _ validate.Resolver = clusterResolver{}

func (r clusterResolver) Workflow(namespace, name string) (*v1alpha1.DRWorkflow, bool) {
	wf := &v1alpha1.DRWorkflow{}
	return wf, r.reader.Get(r.ctx, client.ObjectKey{Namespace: namespace, Name: name}, wf) == nil
}

func (r clusterResolver) Plan(namespace, name string) (*v1alpha1.DRPlan, bool) {
	plan := &v1alpha1.DRPlan{}
	return plan, r.reader.Get(r.ctx, client.ObjectKey{Namespace: namespace, Name: name}, plan) == nil
}

func (r clusterResolver) Execution(namespace, name string) (*v1alpha1.DRPlanExecution, bool) {
	exec := &v1alpha1.DRPlanExecution{}
	return exec, r.reader.Get(r.ctx, client.ObjectKey{Namespace: namespace, Name: name}, exec) == nil
}
