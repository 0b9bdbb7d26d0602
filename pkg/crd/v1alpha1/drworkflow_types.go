package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkflowFailurePolicy says what a workflow does after an action fails.
// +kubebuilder:validation:Enum=FailFast;Continue
type WorkflowFailurePolicy string

// Workflow failure policies.
const (
	// WorkflowFailFast stops the workflow at the first failed action.
	WorkflowFailFast WorkflowFailurePolicy = "FailFast"
	// WorkflowContinue runs the remaining actions and fails the workflow at the end.
	WorkflowContinue WorkflowFailurePolicy = "Continue"
)

// DRWorkflowSpec defines the desired state of DRWorkflow
type DRWorkflowSpec struct {
	// Executor is the execution engine configuration (reserved for extension)
	// +optional
	Executor *ExecutorConfig `json:"executor,omitempty"`
	// Parameters are parameter definitions
	// +optional
	Parameters []Parameter `json:"parameters,omitempty"`
	// Actions are the list of actions to execute in order
	// +kubebuilder:validation:MinItems=1
	Actions []Action `json:"actions"`
	// FailurePolicy defines how to handle action failures
	// +kubebuilder:default=FailFast
	// +optional
	FailurePolicy WorkflowFailurePolicy `json:"failurePolicy,omitempty"`
}

// ExecutorType names the engine that runs a workflow.
// +kubebuilder:validation:Enum=Native;Argo
type ExecutorType string

// Executor types.
const (
	ExecutorNative ExecutorType = "Native"
	ExecutorArgo   ExecutorType = "Argo"
)

// ExecutorConfig selects the execution engine. drctl runs Native only; Argo is reserved.
type ExecutorConfig struct {
	// Type is the executor type: Native (default) or Argo
	// +kubebuilder:default=Native
	// +optional
	Type ExecutorType `json:"type,omitempty"`
	// ArgoOptions configures the Argo executor (reserved)
	// +optional
	ArgoOptions *ArgoOptions `json:"argoOptions,omitempty"`
}

// ArgoOptions configures the reserved Argo Workflows executor.
type ArgoOptions struct {
	// Namespace is where Argo Workflows are created
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// ServiceAccountName is the service account Argo Workflows run as
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// TTLStrategy limits how long finished Argo Workflows are kept
	// +optional
	TTLStrategy *ArgoTTLStrategy `json:"ttlStrategy,omitempty"`
}

// ArgoTTLStrategy mirrors Argo's TTLStrategy.
type ArgoTTLStrategy struct {
	// SecondsAfterCompletion is the TTL after the workflow completes
	// +optional
	SecondsAfterCompletion *int32 `json:"secondsAfterCompletion,omitempty"`
	// SecondsAfterSuccess is the TTL after the workflow succeeds
	// +optional
	SecondsAfterSuccess *int32 `json:"secondsAfterSuccess,omitempty"`
	// SecondsAfterFailure is the TTL after the workflow fails
	// +optional
	SecondsAfterFailure *int32 `json:"secondsAfterFailure,omitempty"`
}

// WorkflowPhase is the validation state of a DRWorkflow.
// +kubebuilder:validation:Enum=Ready;Invalid
type WorkflowPhase string

// Workflow phases.
const (
	WorkflowReady   WorkflowPhase = "Ready"
	WorkflowInvalid WorkflowPhase = "Invalid"
)

// DRWorkflowStatus defines the observed state of DRWorkflow
type DRWorkflowStatus struct {
	// Phase is the workflow phase: Ready, Invalid
	// +optional
	Phase WorkflowPhase `json:"phase,omitempty"`
	// ObservedGeneration reflects the generation observed by the controller
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// ActionCount is the number of actions in the spec drctl last validated, for the ACTIONS column
	// of `kubectl get drw` (a printer column cannot count a list; drctl addition).
	// +optional
	ActionCount int32 `json:"actionCount,omitempty"`
	// Conditions represent the current state of the DRWorkflow resource
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// DRWorkflow is a reusable, parameterised list of actions that fails over one component
// (a database, a cache, a service), each action with an optional rollback.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drw,categories=dr
// +kubebuilder:printcolumn:name="ACTIONS",type=integer,JSONPath=`.status.actionCount`
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type DRWorkflow struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec defines the desired state of DRWorkflow
	Spec DRWorkflowSpec `json:"spec"`
	// status defines the observed state of DRWorkflow
	// +optional
	Status DRWorkflowStatus `json:"status,omitempty"`
}

// DRWorkflowList contains a list of DRWorkflow
//
// +kubebuilder:object:root=true
type DRWorkflowList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRWorkflow `json:"items"`
}
