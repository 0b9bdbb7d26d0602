package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GlobalizationSpec overrides a feed for every ManagedCluster its cluster affinity selects.
type GlobalizationSpec struct {
	// OverridePolicy specifies the override policy for this Globalization.
	// +kubebuilder:default=ApplyLater
	// +optional
	OverridePolicy OverridePolicy `json:"overridePolicy,omitempty"`
	// Priority is an integer defining the relative importance of this Globalization compared to others.
	// Lower numbers are considered lower priority.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=500
	// +optional
	Priority int32 `json:"priority,omitempty"`
	// Feed holds references to the objects the Globalization applies to.
	// +optional
	Feed *Feed `json:"feed,omitempty"`
	// Overrides holds all the OverrideConfig.
	// +optional
	Overrides []OverrideConfig `json:"overrides,omitempty"`
	// ClusterAffinity is a label query over managed clusters by labels.
	// If no labels are specified, all clusters will be selected.
	// +optional
	ClusterAffinity *metav1.LabelSelector `json:"clusterAffinity,omitempty"`
}

// Globalization represents the cluster-wide override config for a group of resources.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=glob;global,categories=clusternet
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Globalization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GlobalizationSpec `json:"spec"`
}

// GlobalizationList contains a list of Globalization
//
// +kubebuilder:object:root=true
type GlobalizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Globalization `json:"items"`
}
