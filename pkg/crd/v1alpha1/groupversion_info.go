package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of every drctl kind.
var GroupVersion = schema.GroupVersion{Group: "dr.bkbcs.tencent.com", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the drctl kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the drctl kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&DRWorkflow{}, &DRWorkflowList{},
		&DRPlan{}, &DRPlanList{},
		&DRPlanExecution{}, &DRPlanExecutionList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}

// Kind names, used in diagnostics and when telling documents apart.
const (
	KindDRWorkflow      = "DRWorkflow"
	KindDRPlan          = "DRPlan"
	KindDRPlanExecution = "DRPlanExecution"
)
