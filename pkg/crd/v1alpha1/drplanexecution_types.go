package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OperationType says whether an execution runs a plan forward or reverts an earlier execution.
type OperationType string

// Operation types.
const (
	OperationExecute OperationType = "Execute"
	OperationRevert  OperationType = "Revert"
)

// ExecutionMode selects install/upgrade/delete/rollback paths through action `when` conditions.
// +kubebuilder:validation:Enum=Install;Upgrade;Delete;Rollback
type ExecutionMode string

// Execution modes.
const (
	ModeInstall  ExecutionMode = "Install"
	ModeUpgrade  ExecutionMode = "Upgrade"
	ModeDelete   ExecutionMode = "Delete"
	ModeRollback ExecutionMode = "Rollback"
)

// DRPlanExecutionSpec defines the desired state of DRPlanExecution
type DRPlanExecutionSpec struct {
	// PlanRef is the associated DRPlan name
	PlanRef string `json:"planRef"`
	// OperationType is the operation type: Execute, Revert
	// +kubebuilder:validation:Enum=Execute;Revert
	OperationType OperationType `json:"operationType"`
	// RevertExecutionRef specifies which execution to revert (required for Revert operation).
	// Must reference an existing DRPlanExecution with operationType=Execute and phase=Succeeded.
	// This ensures precise control over which execution to rollback.
	// +optional
	RevertExecutionRef string `json:"revertExecutionRef,omitempty"`
	// Mode is the execution mode for Execute operation.
	// It is used by action-level `when` conditions (e.g. install/upgrade path selection).
	// An Execute without a mode, of a plan whose conditions read the mode, is refused.
	// +optional
	Mode ExecutionMode `json:"mode,omitempty"`
	// Params are execution-level parameters with the highest priority.
	// They override DRPlan.spec.globalParams and stage-level params with the same name.
	// Each param supports either a static value or a dynamic valueFrom.manifestRef.
	// Note: the reserved key "mode" is managed by the Mode field and cannot be overridden here.
	// +optional
	Params []Parameter `json:"params,omitempty"`
	// OnFailure overrides the plan's onFailure for this run (drctl addition): Ask waits for an
	// operator's decision on an action that failed for good, Fail ends the run as now.
	// +optional
	OnFailure OnFailurePolicy `json:"onFailure,omitempty"`
}

// ExecutionPhase is the state of an execution, stage, workflow or action.
type ExecutionPhase string

// Phases. Canceled is the spelling on the wire; Cancelled is read as the same (see NormalizePhase).
const (
	PhasePending   ExecutionPhase = "Pending"
	PhaseRunning   ExecutionPhase = "Running"
	PhaseSucceeded ExecutionPhase = "Succeeded"
	PhaseFailed    ExecutionPhase = "Failed"
	PhaseSkipped   ExecutionPhase = "Skipped"
	PhaseCanceled  ExecutionPhase = "Canceled"
	PhaseUnknown   ExecutionPhase = "Unknown"
)

// DRPlanExecutionStatus defines the observed state of DRPlanExecution
type DRPlanExecutionStatus struct {
	// Phase is the execution phase: Pending, Running, Succeeded, Failed, Canceled
	// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Canceled;Unknown
	// +optional
	Phase ExecutionPhase `json:"phase,omitempty"`
	// StartTime is the start time
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is the completion time
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// Message is the status message
	// +optional
	Message string `json:"message,omitempty"`
	// StageStatuses are the status of each stage
	// +optional
	StageStatuses []StageStatus `json:"stageStatuses,omitempty"`
	// Summary is the execution statistics summary
	// +optional
	Summary *ExecutionSummary `json:"summary,omitempty"`
	// Conditions represent the current state of the DRPlanExecution resource
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Progress is "completed/total" actions, for `kubectl get` (drctl addition).
	// +optional
	Progress string `json:"progress,omitempty"`
	// ResolvedParams is the snapshot of plan-level parameter values (globalParams overridden by the
	// execution's params) taken when the run started (FR-026, drctl addition). Per-workflow values,
	// after stage params and workflow defaults, are in each workflow execution's resolvedParams.
	// +optional
	ResolvedParams map[string]string `json:"resolvedParams,omitempty"`
	// Runner identifies who runs this execution: a drctl process on a terminal or `drctl serve`
	// (drctl addition).
	// +optional
	Runner *RunnerInfo `json:"runner,omitempty"`
	// WorkflowSnapshots is the spec of every workflow the run uses, as executed: once per workflow
	// generation, as gzip-compressed JSON (a list of {namespace, name, generation, spec}). A resume
	// or revert reads it, never a later edit of a workflow. It is compressed, and stored once
	// rather than in each workflow execution, so that the many status writes of a run do not carry
	// the specs again in full (drctl addition; a record written before it has each workflow
	// execution's workflowSpec instead).
	// +optional
	WorkflowSnapshots []byte `json:"workflowSnapshots,omitempty"`
	// OnFailure is the run's onFailure as taken at its start, which a resume follows (drctl
	// addition).
	// +optional
	OnFailure OnFailurePolicy `json:"onFailure,omitempty"`
	// Waiting lists the decisions the run waits for: a stage's approval, or what to do with an
	// action that failed (drctl addition). A resumed run waits for them again.
	// +optional
	Waiting []PendingDecision `json:"waiting,omitempty"`
	// Signals records every operator signal the runner received — pause, continue, approve,
	// reject, retry, skip — who sent it, when and why, and what it did or why it was refused
	// (drctl addition).
	// +optional
	Signals []SignalRecord `json:"signals,omitempty"`
}

// RunnerInfo identifies the process that runs an execution.
type RunnerInfo struct {
	// User is the Kubernetes user the runner authenticates as
	// +optional
	User string `json:"user,omitempty"`
	// Host is the machine the runner runs on
	// +optional
	Host string `json:"host,omitempty"`
	// PID is the runner's process id on Host
	// +optional
	PID int64 `json:"pid,omitempty"`
	// Version is the drctl version of the runner
	// +optional
	Version string `json:"version,omitempty"`
	// Mode is "cli" for a terminal run, "serve" for the in-cluster controller
	// +optional
	Mode string `json:"mode,omitempty"`
	// Holder is the holderIdentity of the plan's Lease under which the runner owns this record
	// +optional
	Holder string `json:"holder,omitempty"`
	// Epoch is the Lease's leaseTransitions when the runner took the plan: the record's fencing
	// token. A runner that finds a record stamped by a newer epoch stops and never writes it again
	// +optional
	Epoch int32 `json:"epoch,omitempty"`
	// Sequence counts the owner's changes to the record up to this write. Transitions after it
	// may be in the owner's journal (a ConfigMap <execution>.journal), written before each
	// action starts; whoever takes the record over folds the journal's newer transitions in
	// +optional
	Sequence int64 `json:"sequence,omitempty"`
	// Journal names the owner's journal ConfigMap, when it keeps one (it does unless it may not
	// write ConfigMaps): a reader that cannot read it must not take the record for the whole truth
	// +optional
	Journal string `json:"journal,omitempty"`
}

// ExecutionSummary counts stages and workflows by state.
type ExecutionSummary struct {
	// TotalStages is the total number of stages
	// +optional
	TotalStages int `json:"totalStages,omitempty"`
	// CompletedStages is the number of completed stages
	// +optional
	CompletedStages int `json:"completedStages,omitempty"`
	// RunningStages is the number of running stages
	// +optional
	RunningStages int `json:"runningStages,omitempty"`
	// PendingStages is the number of pending stages
	// +optional
	PendingStages int `json:"pendingStages,omitempty"`
	// FailedStages is the number of failed stages
	// +optional
	FailedStages int `json:"failedStages,omitempty"`
	// TotalWorkflows is the total number of workflows
	// +optional
	TotalWorkflows int `json:"totalWorkflows,omitempty"`
	// CompletedWorkflows is the number of completed workflows
	// +optional
	CompletedWorkflows int `json:"completedWorkflows,omitempty"`
	// RunningWorkflows is the number of running workflows
	// +optional
	RunningWorkflows int `json:"runningWorkflows,omitempty"`
	// PendingWorkflows is the number of pending workflows
	// +optional
	PendingWorkflows int `json:"pendingWorkflows,omitempty"`
	// FailedWorkflows is the number of failed workflows
	// +optional
	FailedWorkflows int `json:"failedWorkflows,omitempty"`
	// TotalActions is the total number of actions (drctl addition)
	// +optional
	TotalActions int `json:"totalActions,omitempty"`
	// CompletedActions is the number of finished actions, whatever their outcome (drctl addition)
	// +optional
	CompletedActions int `json:"completedActions,omitempty"`
}

// DRPlanExecution is the record of one run of a DRPlan: Execute runs it forward, Revert undoes an
// earlier Execute in reverse order.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=drpe,categories=dr
// +kubebuilder:printcolumn:name="PLAN",type=string,JSONPath=`.spec.planRef`
// +kubebuilder:printcolumn:name="OPERATION",type=string,JSONPath=`.spec.operationType`
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="PROGRESS",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type DRPlanExecution struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec defines the desired state of DRPlanExecution
	Spec DRPlanExecutionSpec `json:"spec"`
	// status defines the observed state of DRPlanExecution
	// +optional
	Status DRPlanExecutionStatus `json:"status,omitempty"`
}

// DRPlanExecutionList contains a list of DRPlanExecution
//
// +kubebuilder:object:root=true
type DRPlanExecutionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DRPlanExecution `json:"items"`
}
