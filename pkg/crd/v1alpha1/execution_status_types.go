package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StageStatus defines the status of a stage execution
type StageStatus struct {
	// Name is the stage name
	Name string `json:"name"`
	// Phase is the stage phase: Pending, Running, Succeeded, Failed, Skipped, Canceled
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Skipped;Canceled
	Phase ExecutionPhase `json:"phase"`
	// Parallel indicates whether this stage executes workflows in parallel
	// +optional
	Parallel bool `json:"parallel,omitempty"`
	// DependsOn lists the stage dependencies
	// +optional
	DependsOn []string `json:"dependsOn,omitempty"`
	// WorkflowExecutions are the status of each workflow
	// +optional
	WorkflowExecutions []WorkflowExecutionStatus `json:"workflowExecutions,omitempty"`
	// StartTime is the start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Duration is the execution duration
	// +optional
	Duration string `json:"duration,omitempty"`
	// Message is the status message
	// +optional
	Message string `json:"message,omitempty"`
	// FailurePolicy is what the run does when this stage fails, as snapshotted at the start
	// (drctl addition): Stop (no new workflow of the stage, no new stage), FailFast (no new
	// workflow of the stage; later stages run, the plan's policy being Continue) or Continue
	// (everything runs)
	// +optional
	FailurePolicy string `json:"failurePolicy,omitempty"`
	// Approval is the stage's approval gate as snapshotted at the start (drctl addition).
	// +optional
	Approval *Approval `json:"approval,omitempty"`
}

// WorkflowExecutionStatus defines the status of a workflow execution
type WorkflowExecutionStatus struct {
	// WorkflowRef is the workflow reference
	WorkflowRef ObjectReference `json:"workflowRef"`
	// Phase is the workflow phase: Pending, Running, Succeeded, Failed, Skipped, Canceled
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Skipped;Canceled
	Phase ExecutionPhase `json:"phase"`
	// StartTime is the start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Duration is the execution duration
	// +optional
	Duration string `json:"duration,omitempty"`
	// CurrentAction is the currently executing action name
	// +optional
	CurrentAction string `json:"currentAction,omitempty"`
	// Progress is the progress information (e.g., "2/5 actions completed")
	// +optional
	Progress string `json:"progress,omitempty"`
	// Message is the status message
	// +optional
	Message string `json:"message,omitempty"`
	// ActionStatuses are the detailed action execution statuses
	// +optional
	ActionStatuses []ActionStatus `json:"actionStatuses,omitempty"`

	// ResolvedParams is the snapshot of this workflow's parameter values as the run uses them
	// (workflow defaults < globalParams < stage params < execution params; drctl addition).
	// +optional
	ResolvedParams map[string]string `json:"resolvedParams,omitempty"`
	// SensitiveParams names the parameters whose values are sensitive: resolvedParams holds
	// "REDACTED" for them, and a resume or revert reads them again from where they came from
	// (drctl addition).
	// +optional
	SensitiveParams []string `json:"sensitiveParams,omitempty"`
	// WorkflowSpec is the snapshot of the DRWorkflow spec as executed; a resume or revert uses it,
	// never a later edit of the workflow (drctl addition). Its schema is left open to keep the CRD small.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	WorkflowSpec *DRWorkflowSpec `json:"workflowSpec,omitempty"`
	// WorkflowGeneration is the metadata.generation of the DRWorkflow that was snapshotted (drctl addition).
	// +optional
	WorkflowGeneration int64 `json:"workflowGeneration,omitempty"`
}

// ActionStatus defines the status of an action execution
type ActionStatus struct {
	// Name is the action name
	Name string `json:"name"`
	// Phase is the action phase: Pending, Running, Succeeded, Failed, Skipped, Canceled
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Skipped;Canceled
	Phase ExecutionPhase `json:"phase"`
	// StartTime is the start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// RetryCount is the number of retries
	// +optional
	RetryCount int32 `json:"retryCount,omitempty"`
	// Attempts is the number of attempts started, the first included (drctl addition).
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// Duration is the time from the first attempt's start to the outcome, to the millisecond
	// (timestamps keep whole seconds; drctl addition).
	// +optional
	Duration string `json:"duration,omitempty"`
	// Message is the status message
	// +optional
	Message string `json:"message,omitempty"`
	// Outputs are the action outputs (for rollback)
	// +optional
	Outputs *ActionOutputs `json:"outputs,omitempty"`
	// ClusterStatuses records per-cluster execution state when ClusterExecutionMode=PerCluster.
	// Empty for Global actions (backward compatible).
	// +optional
	ClusterStatuses []ClusterActionStatus `json:"clusterStatuses,omitempty"`
}

// ClusterActionStatus tracks execution state of a single cluster within a PerCluster action.
type ClusterActionStatus struct {
	// Cluster is the binding cluster identifier (format: "namespace/name")
	Cluster string `json:"cluster"`
	// ClusterID is the ManagedCluster's cluster id
	ClusterID string `json:"clusterID"`
	// Phase is the per-cluster phase
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Skipped
	Phase ExecutionPhase `json:"phase"`
	// StartTime is the start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Message is the status message
	// +optional
	Message string `json:"message,omitempty"`
}

// ActionOutputs records what an action created or observed, so that revert and resume are exact.
type ActionOutputs struct {
	// LocalizationRef is the created Localization reference
	// +optional
	LocalizationRef *corev1.ObjectReference `json:"localizationRef,omitempty"`
	// GlobalizationRef is the created Globalization reference
	// +optional
	GlobalizationRef *corev1.ObjectReference `json:"globalizationRef,omitempty"`
	// HelmChartRef is the created HelmChart reference
	// +optional
	HelmChartRef *corev1.ObjectReference `json:"helmChartRef,omitempty"`
	// SubscriptionRef is the created Subscription reference
	// +optional
	SubscriptionRef *corev1.ObjectReference `json:"subscriptionRef,omitempty"`
	// SubscriptionRefs are the created Subscription references for PerCluster actions.
	// +optional
	SubscriptionRefs []corev1.ObjectReference `json:"subscriptionRefs,omitempty"`
	// JobRef is the created Job reference
	// +optional
	JobRef *corev1.ObjectReference `json:"jobRef,omitempty"`
	// ResourceRef is the created resource reference
	// +optional
	ResourceRef *corev1.ObjectReference `json:"resourceRef,omitempty"`
	// HTTPResponse is the HTTP response
	// +optional
	HTTPResponse *HTTPResponse `json:"httpResponse,omitempty"`
	// ResourceExisted says whether the object existed before the action changed it (drctl addition);
	// revert deletes only what the run created.
	// +optional
	ResourceExisted *bool `json:"resourceExisted,omitempty"`
	// Values are named outputs that later actions read as $(outputs.<action>.<name>) (drctl addition).
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// HTTPResponse is what an HTTP action received.
type HTTPResponse struct {
	// StatusCode is the HTTP status code
	StatusCode int `json:"statusCode"`
	// Body is the response body (truncated)
	// +optional
	Body string `json:"body,omitempty"`
	// Latency is the time from request to response (drctl addition)
	// +optional
	Latency string `json:"latency,omitempty"`
}
