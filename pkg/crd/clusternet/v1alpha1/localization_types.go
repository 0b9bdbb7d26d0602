package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LocalizationSpec overrides a feed for one ManagedCluster (the Localization lives in its namespace).
type LocalizationSpec struct {
	// OverridePolicy specifies the override policy for this Localization.
	// +kubebuilder:default=ApplyLater
	// +optional
	OverridePolicy OverridePolicy `json:"overridePolicy,omitempty"`
	// Priority is an integer defining the relative importance of this Localization compared to others.
	// Lower numbers are considered lower priority.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=500
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Feed holds references to the objects the Localization applies to.
	// +optional
	Feed *Feed `json:"feed,omitempty"`
	// Overrides holds all the OverrideConfig.
	// +optional
	Overrides []OverrideConfig `json:"overrides,omitempty"`
}

// Localization represents the override config for a group of resources in one ManagedCluster.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=loc;local,categories=clusternet
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Localization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec LocalizationSpec `json:"spec"`
}

// LocalizationList contains a list of Localization
//
// +kubebuilder:object:root=true
type LocalizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Localization `json:"items"`
}
