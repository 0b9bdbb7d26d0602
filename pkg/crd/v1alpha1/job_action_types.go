package v1alpha1

import (
	batchv1 "k8s.io/api/batch/v1"
)

// JobAction creates a Kubernetes Job and waits for it to finish.
type JobAction struct {
	// Namespace is the Job namespace (default: default)
	// drctl defaults it to the plan's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Template is the Job template spec
	Template JobTemplate `json:"template"`
	// TTLSecondsAfterFinished limits the lifetime of a Job after it finishes
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// JobTemplate holds the spec of the Job an action creates.
type JobTemplate struct {
	// Standard Kubernetes Job spec
	Spec batchv1.JobSpec `json:"spec"`
}
