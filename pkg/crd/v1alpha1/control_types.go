package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OnFailurePolicy says what a run does when an action fails for good.
// +kubebuilder:validation:Enum=Fail;Ask
type OnFailurePolicy string

// OnFailure policies.
const (
	// OnFailureFail ends the failed action Failed, and the run goes on as its failure policies say
	// (the default).
	OnFailureFail OnFailurePolicy = "Fail"
	// OnFailureAsk holds the failed action and waits for an operator to retry, skip or reject it.
	OnFailureAsk OnFailurePolicy = "Ask"
)

// Approval is a manual gate: the run waits for an operator's approval before going on.
type Approval struct {
	// Message tells the approver what to check before approving
	// +optional
	Message string `json:"message,omitempty"`
	// Timeout is how long to wait for a decision (a Go duration such as "30m"); without an
	// answer by then, the gate fails as if rejected. Empty waits for as long as it takes.
	// +optional
	Timeout string `json:"timeout,omitempty"`
}

// DecisionKind is what a pending decision is about.
type DecisionKind string

// Decision kinds.
const (
	// DecisionApproval: a stage waits for approval; approve or reject.
	DecisionApproval DecisionKind = "Approval"
	// DecisionFailure: an action failed and the run asks what to do; retry, skip or reject.
	DecisionFailure DecisionKind = "Failure"
)

// PendingDecision is a decision a run waits for.
type PendingDecision struct {
	// Step names what waits: a stage ("<stage>") or an action ("<stage>/<workflow>/<action>")
	Step string `json:"step"`
	// Kind is Approval or Failure
	// +kubebuilder:validation:Enum=Approval;Failure
	Kind DecisionKind `json:"kind"`
	// Message says what the decision is about: the approval's message, or the failure
	// +optional
	Message string `json:"message,omitempty"`
	// Since is when the run started waiting
	Since metav1.Time `json:"since"`
	// Deadline is when an approval not given is taken as rejected
	// +optional
	Deadline *metav1.Time `json:"deadline,omitempty"`
	// TimeLeft is the time an approval had left when the run was paused (a Go duration): its
	// clock stops while paused, and Deadline is set again from it on the continue
	// +optional
	TimeLeft string `json:"timeLeft,omitempty"`
}

// SignalVerb is what an operator asks of a run.
// +kubebuilder:validation:Enum=Pause;Continue;Approve;Reject;Retry;Skip
type SignalVerb string

// Signal verbs.
const (
	SignalPause    SignalVerb = "Pause"
	SignalContinue SignalVerb = "Continue"
	SignalApprove  SignalVerb = "Approve"
	SignalReject   SignalVerb = "Reject"
	SignalRetry    SignalVerb = "Retry"
	SignalSkip     SignalVerb = "Skip"
)

// SignalRecord is one operator signal as the runner received it.
type SignalRecord struct {
	// ID identifies the signal (it is applied once)
	ID string `json:"id"`
	// Verb is what was asked
	Verb SignalVerb `json:"verb"`
	// Step is the stage or action it concerns (approve, reject, retry, skip)
	// +optional
	Step string `json:"step,omitempty"`
	// By is the Kubernetes user who sent it, as the API server named them to the sender
	By string `json:"by"`
	// At is when it was sent
	At metav1.Time `json:"at"`
	// Reason is why, in the sender's words
	// +optional
	Reason string `json:"reason,omitempty"`
	// Result is Applied or Refused
	// +kubebuilder:validation:Enum=Applied;Refused
	Result string `json:"result"`
	// Message says what the signal did, or why it was refused
	// +optional
	Message string `json:"message,omitempty"`
}

// Signal results.
const (
	SignalApplied = "Applied"
	SignalRefused = "Refused"
)
