package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
)

// ClusternetOperation is what a Localization, Globalization or HelmChart action does.
// Apply uses Server-Side Apply (idempotent create-or-update).
// +kubebuilder:validation:Enum=Create;Apply;Patch;Delete
type ClusternetOperation string

// SubscriptionOperation is what a Subscription action does; Replace deletes the existing
// Subscription, waits until it is gone and creates it again.
// +kubebuilder:validation:Enum=Create;Apply;Patch;Delete;Replace
type SubscriptionOperation string

// LocalizationAction creates or changes a Clusternet Localization in a ManagedCluster namespace.
type LocalizationAction struct {
	// Operation is the operation type: Create (default), Apply, Patch, Delete.
	// Apply uses Server-Side Apply (idempotent create-or-update).
	// +kubebuilder:default=Create
	// +optional
	Operation ClusternetOperation `json:"operation,omitempty"`
	// Name is the Localization CR name (supports placeholders)
	Name string `json:"name"`
	// Namespace is the Localization CR namespace (ManagedCluster namespace, supports placeholders)
	Namespace string `json:"namespace"`
	// Spec is the spec of the Localization CR, same as apps.clusternet.io LocalizationSpec.
	// +optional
	Spec *clusternetv1alpha1.LocalizationSpec `json:"spec,omitempty"`
	// UID, on a Delete, deletes the object only while it still has this UID (drctl addition:
	// automatic rollbacks set it to the UID the forward action recorded, so that an object
	// recreated by someone else under the same name is never deleted)
	// +optional
	UID string `json:"uid,omitempty"`
}

// GlobalizationAction creates or changes a cluster-scoped Clusternet Globalization.
type GlobalizationAction struct {
	// Operation is the operation type: Create (default), Apply, Patch, Delete.
	// Apply uses Server-Side Apply (idempotent create-or-update).
	// +kubebuilder:default=Create
	// +optional
	Operation ClusternetOperation `json:"operation,omitempty"`
	// Name is the Globalization CR name (supports placeholders)
	Name string `json:"name"`
	// Spec is the spec of the Globalization CR, same as apps.clusternet.io GlobalizationSpec.
	// +optional
	Spec *clusternetv1alpha1.GlobalizationSpec `json:"spec,omitempty"`
	// UID, on a Delete, deletes the object only while it still has this UID (drctl addition:
	// automatic rollbacks set it to the UID the forward action recorded, so that an object
	// recreated by someone else under the same name is never deleted)
	// +optional
	UID string `json:"uid,omitempty"`
}

// HelmChartAction creates or changes a Clusternet HelmChart.
type HelmChartAction struct {
	// Operation is the operation type: Create (default), Apply, Patch, Delete.
	// Apply uses Server-Side Apply (idempotent create-or-update).
	// +kubebuilder:default=Create
	// +optional
	Operation ClusternetOperation `json:"operation,omitempty"`
	// Name is the HelmChart CR name (supports placeholders)
	Name string `json:"name"`
	// Namespace is the HelmChart CR namespace (supports placeholders)
	Namespace string `json:"namespace"`
	// Spec is the spec of the HelmChart CR, same as apps.clusternet.io HelmChartSpec.
	// +optional
	Spec *clusternetv1alpha1.HelmChartSpec `json:"spec,omitempty"`
	// UID, on a Delete, deletes the object only while it still has this UID (drctl addition:
	// automatic rollbacks set it to the UID the forward action recorded, so that an object
	// recreated by someone else under the same name is never deleted)
	// +optional
	UID string `json:"uid,omitempty"`
}

// SubscriptionAction creates or changes a Clusternet Subscription.
type SubscriptionAction struct {
	// Operation is the operation type: Create (default), Apply, Patch, Delete, Replace.
	// Apply uses Server-Side Apply (idempotent create-or-update).
	// Replace deletes the existing resource (if any) and waits for deletion to complete
	// before creating a new one.
	// +kubebuilder:default=Create
	// +optional
	Operation SubscriptionOperation `json:"operation,omitempty"`
	// Name is the Subscription name (supports placeholders)
	Name string `json:"name"`
	// Namespace is the Subscription namespace
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Spec is the spec of the Subscription CR, same as apps.clusternet.io SubscriptionSpec.
	// +optional
	Spec *clusternetv1alpha1.SubscriptionSpec `json:"spec,omitempty"`
	// UID, on a Delete, deletes the object only while it still has this UID (drctl addition:
	// automatic rollbacks set it to the UID the forward action recorded, so that an object
	// recreated by someone else under the same name is never deleted)
	// +optional
	UID string `json:"uid,omitempty"`
	// ChildRefs, on a PerCluster Delete, are the child Subscriptions to delete, each only while it
	// still has its UID (drctl addition: the automatic rollback of a PerCluster action sets them to
	// the children it created). Without them a PerCluster Delete deletes every child of the name.
	// +optional
	ChildRefs []corev1.ObjectReference `json:"childRefs,omitempty"`
}
