package cmdutil

import "github.com/drctl/drctl/pkg/crd/v1alpha1"

// resourceKinds are the resources `drctl get` and `drctl describe` take, by every name kubectl
// would.
var resourceKinds = map[string]string{
	"plan": v1alpha1.KindDRPlan, "plans": v1alpha1.KindDRPlan, "drp": v1alpha1.KindDRPlan, "drplan": v1alpha1.KindDRPlan, "drplans": v1alpha1.KindDRPlan,
	"workflow": v1alpha1.KindDRWorkflow, "workflows": v1alpha1.KindDRWorkflow, "drw": v1alpha1.KindDRWorkflow, "drworkflow": v1alpha1.KindDRWorkflow, "drworkflows": v1alpha1.KindDRWorkflow,
	"execution": v1alpha1.KindDRPlanExecution, "executions": v1alpha1.KindDRPlanExecution, "drpe": v1alpha1.KindDRPlanExecution,
	"drplanexecution": v1alpha1.KindDRPlanExecution, "drplanexecutions": v1alpha1.KindDRPlanExecution,
}

// ResourceKind is the kind a resource name means ("plans", "drpe", ...), if any.
func ResourceKind(resource string) (string, bool) {
	kind, ok := resourceKinds[resource]
	return kind, ok
}
