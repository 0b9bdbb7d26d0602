package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PlanFailurePolicy says whether later stages run after a stage fails.
// +kubebuilder:validation:Enum=Stop;Continue
type PlanFailurePolicy string

// StageFailurePolicy overrides the plan's failure policy for one stage.
// +kubebuilder:validation:Enum=Stop;Continue;FailFast
type StageFailurePolicy string

// Failure policies of plans and stages.
const (
	FailurePolicyStop     = "Stop"
	FailurePolicyContinue = "Continue"
	FailurePolicyFailFast = "FailFast"
)

// DRPlanSpec defines the desired state of DRPlan
type DRPlanSpec struct {
	// Description is the plan description
	// +optional
	Description string `json:"description,omitempty"`
	// GlobalParams are global parameters passed to all workflows
	// +optional
	GlobalParams []Parameter `json:"globalParams,omitempty"`
	// Stages are the stage orchestration list
	// +kubebuilder:validation:MinItems=1
	Stages []Stage `json:"stages"`
	// FailurePolicy defines how to handle failures
	// +kubebuilder:default=Stop
	// +optional
	FailurePolicy PlanFailurePolicy `json:"failurePolicy,omitempty"`
	// ServiceAccountName is the ServiceAccount of the plan's namespace that drctl serve
	// impersonates to perform the plan's actions and read its parameters' valueFrom sources, so
	// that a plan can do no more than that account may (drctl addition; the CLI acts as its
	// user).
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// OnFailure is what a run does when an action fails for good (drctl addition): Fail ends it as
	// the failure policies say; Ask holds the failed action and waits for an operator to retry,
	// skip or reject it (`drctl retry`, `drctl skip`, `drctl reject`). An execution's own
	// onFailure overrides it.
	// +optional
	OnFailure OnFailurePolicy `json:"onFailure,omitempty"`
}

// Stage defines a stage in the plan orchestration
type Stage struct {
	// Name is the unique stage name
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Description is the stage description
	// +optional
	Description string `json:"description,omitempty"`
	// DependsOn lists stage names this stage depends on
	// +optional
	DependsOn []string `json:"dependsOn,omitempty"`
	// Parallel indicates whether to execute all workflows in this stage in parallel
	// +kubebuilder:default=false
	// +optional
	Parallel bool `json:"parallel,omitempty"`
	// Workflows are the workflow reference list
	// +kubebuilder:validation:MinItems=1
	Workflows []WorkflowReference `json:"workflows"`
	// FailurePolicy is the stage-level failure policy (overrides global)
	// +optional
	FailurePolicy StageFailurePolicy `json:"failurePolicy,omitempty"`
	// Approval holds the stage before it starts until an operator approves it (`drctl approve`)
	// (drctl addition). A rejection, or no answer within its timeout, fails the stage.
	// +optional
	Approval *Approval `json:"approval,omitempty"`
}

// WorkflowReference defines a workflow reference with parameters
type WorkflowReference struct {
	// WorkflowRef is the workflow reference (name + namespace)
	WorkflowRef ObjectReference `json:"workflowRef"`
	// Params are parameters that override globalParams
	// +optional
	Params []Parameter `json:"params,omitempty"`
}

// PlanPhase is the state of a DRPlan.
// +kubebuilder:validation:Enum=Ready;Executed;Invalid
type PlanPhase string

// Plan phases.
const (
	PlanReady    PlanPhase = "Ready"
	PlanExecuted PlanPhase = "Executed"
	PlanInvalid  PlanPhase = "Invalid"
)

// DRPlanStatus defines the observed state of DRPlan
type DRPlanStatus struct {
	// Phase is the plan phase: Ready, Executed, Invalid
	// +optional
	Phase PlanPhase `json:"phase,omitempty"`
	// LastExecutionTime is the last execution time
	// +optional
	LastExecutionTime *metav1.Time `json:"lastExecutionTime,omitempty"`
	// LastExecutionRef is the last execution record name
	// +optional
	LastExecutionRef string `json:"lastExecutionRef,omitempty"`
	// CurrentExecution is the currently running execution reference (for concurrency control)
	// +optional
	CurrentExecution *ObjectReference `json:"currentExecution,omitempty"`
	// ExecutionHistory keeps a list of recent execution references (max 10, newest first)
	// +kubebuilder:validation:MaxItems=10
	// +optional
	ExecutionHistory []ExecutionRecord `json:"executionHistory,omitempty"`
	// LastProcessedTrigger is DEPRECATED and no longer used (annotation trigger removed).
	// Kept for backward compatibility, will be removed in future versions.
	// +optional
	LastProcessedTrigger string `json:"lastProcessedTrigger,omitempty"`
	// ObservedGeneration reflects the generation observed by the controller
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions represent the current state of the DRPlan resource
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ExecutionRecord records a historical execution reference
type ExecutionRecord struct {
	// Name is the DRPlanExecution name
	Name string `json:"name"`
	// Namespace is the DRPlanExecution namespace
	Namespace string `json:"namespace"`
	// OperationType is the operation type: Execute, Revert
	OperationType OperationType `json:"operationType"`
	// Mode is the mode of an Execute (drctl addition)
	// +optional
	Mode ExecutionMode `json:"mode,omitempty"`
	// Phase is the execution phase: Pending, Running, Succeeded, Failed
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`
	// StartTime is the execution start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the execution completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// DRPlan orchestrates workflows into stages, with dependencies, parallelism and parameters.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drp,categories=dr
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="LAST-EXECUTION",type=string,JSONPath=`.status.lastExecutionRef`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type DRPlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec defines the desired state of DRPlan
	Spec DRPlanSpec `json:"spec"`
	// status defines the observed state of DRPlan
	// +optional
	Status DRPlanStatus `json:"status,omitempty"`
}

// DRPlanList contains a list of DRPlan
//
// +kubebuilder:object:root=true
type DRPlanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRPlan `json:"items"`
}
