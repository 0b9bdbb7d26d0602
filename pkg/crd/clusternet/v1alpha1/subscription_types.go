package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SchedulingStrategy says whether feeds are replicated to every subscriber or divided among them.
// +kubebuilder:validation:Enum=Replication;Dividing
type SchedulingStrategy string

// Scheduling strategies.
const (
	ReplicaSchedulingStrategy  SchedulingStrategy = "Replication"
	DividingSchedulingStrategy SchedulingStrategy = "Dividing"
)

// PreemptionPolicy says whether a Subscription may preempt lower-priority ones.
// Clusternet's CRD accepts PreemptLowerPriority and PreemptNever (its Go constant "Never" is rejected).
// +kubebuilder:validation:Enum=PreemptLowerPriority;PreemptNever
type PreemptionPolicy string

// Preemption policies.
const (
	PreemptLowerPriority PreemptionPolicy = "PreemptLowerPriority"
	PreemptNever         PreemptionPolicy = "PreemptNever"
)

// DividingType is how replicas are divided.
// +kubebuilder:validation:Enum=Static;Dynamic
type DividingType string

// DynamicDividingStrategy is how dynamic dividing places replicas.
// +kubebuilder:validation:Enum=Spread;Binpack
type DynamicDividingStrategy string

// SubscriptionSpec defines which feeds go to which clusters.
type SubscriptionSpec struct {
	// If specified, the Subscription will be handled by specified scheduler.
	// If not specified, the Subscription will be handled by default scheduler.
	// +kubebuilder:default=default
	// +optional
	SchedulerName string `json:"schedulerName,omitempty"`
	// If specified, the Subscription will be handled with specified SchedulingStrategy.
	// Otherwise, with generic SchedulingStrategy.
	// +kubebuilder:default=Replication
	// +optional
	SchedulingStrategy SchedulingStrategy `json:"schedulingStrategy,omitempty"`
	// If specified, the Subscription will be handled with SchedulingBySubGroup.
	// Used together with SubGroupStrategy in every Subscriber.
	// +optional
	SchedulingBySubGroup bool `json:"schedulingBySubGroup,omitempty"`
	// Dividing scheduling config params. Present only if SchedulingStrategy = Dividing.
	// +optional
	DividingScheduling *DividingScheduling `json:"dividingScheduling,omitempty"`
	// The priority value. clusternet-scheduler use this field to find the priority of the subscription.
	// The higher the value, the higher the priority.
	// +optional
	Priority *int32 `json:"priority,omitempty"`
	// PreemptionPolicy is the Policy for preempting subscriptions with lower priority.
	// One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.
	// +kubebuilder:default=PreemptLowerPriority
	// +optional
	PreemptionPolicy *PreemptionPolicy `json:"preemptionPolicy,omitempty"`
	// Subscribers subscribes
	Subscribers []Subscriber `json:"subscribers"`
	// Feeds
	Feeds []Feed `json:"feeds"`
	// ClusterTolerations tolerates any matched taints of ManagedCluster.
	// +optional
	ClusterTolerations []corev1.Toleration `json:"clusterTolerations,omitempty"`
}

// Subscriber selects the clusters that receive the feeds.
type Subscriber struct {
	// ClusterAffinity is a label query over managed clusters by labels.
	ClusterAffinity *metav1.LabelSelector `json:"clusterAffinity"`
	// Static weight of subscriber when dividing replicas.
	// Present only for static divided scheduling.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Weight int32 `json:"weight,omitempty"`
	// SubGroupStrategy defines the subgroups of a ManagedCluster.
	// +optional
	SubGroupStrategy *SubGroupStrategy `json:"subGroupStrategy,omitempty"`
}

// SubGroupStrategy defines the subgroups of a ManagedCluster.
type SubGroupStrategy struct {
	// MinClusters is the minimum number of clusters to be selected in this subgroup.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinClusters int32 `json:"minClusters,omitempty"`
}

// DividingScheduling configures how replicas are divided among clusters.
type DividingScheduling struct {
	// Type of dividing replica scheduling.
	// +kubebuilder:default=Static
	Type DividingType `json:"type"`
	// DynamicDividing describes how to divide replicas into target clusters dynamically.
	// +optional
	DynamicDividing *DynamicDividing `json:"dynamicDividing,omitempty"`
}

// DynamicDividing describes how to divide replicas into target clusters dynamically.
type DynamicDividing struct {
	// Type of dynamic dividing replica strategy.
	// +kubebuilder:default=Spread
	Strategy DynamicDividingStrategy `json:"strategy"`
	// TopologySpreadConstraints describes how a group of replicas ought to spread across topology
	// domains.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	// PreferredClusters describes the assigning preference.
	// +optional
	PreferredClusters []corev1.PreferredSchedulingTerm `json:"preferredClusters,omitempty"`
	// MaxClusters describes the upper bound number of target clusters.
	// +optional
	MaxClusters *int32 `json:"maxClusters,omitempty"`
	// MinClusters describes the lower bound number of target clusters.
	// +optional
	MinClusters *int32 `json:"minClusters,omitempty"`
}

// SubscriptionStatus reports Clusternet's progress distributing a Subscription.
type SubscriptionStatus struct {
	// SpecHash calculates the hash value of current SubscriptionSpec.
	// +optional
	SpecHash uint64 `json:"specHash,omitempty"`
	// BindingClusters are the clusters the Subscription is bound to (namespace/name).
	// +optional
	BindingClusters []string `json:"bindingClusters,omitempty"`
	// Desired replicas of targeted clusters for each feed.
	// +optional
	Replicas map[string][]int32 `json:"replicas,omitempty"`
	// Total number of Helm releases desired by this Subscription.
	// +optional
	DesiredReleases int `json:"desiredReleases,omitempty"`
	// Total number of completed releases targeted by this Subscription.
	// +optional
	CompletedReleases int `json:"completedReleases,omitempty"`
	// AggregatedStatuses shows the aggregated statuses of feeds in each child cluster.
	// +optional
	AggregatedStatuses []AggregatedStatus `json:"aggregatedStatuses,omitempty"`
}

// AggregatedStatus contains the aggregated status of one feed.
type AggregatedStatus struct {
	Feed `json:",inline"`
	// FeedStatusSummary aggregates the feed statuses from all child clusters.
	// +optional
	FeedStatusSummary FeedStatus `json:"feedStatusSummary,omitempty"`
	// FeedStatusDetails shows the feed statuses in each child cluster.
	// +optional
	FeedStatusDetails []FeedStatusPerCluster `json:"feedStatusDetails,omitempty"`
}

// FeedStatusPerCluster is the feed status of one child cluster.
type FeedStatusPerCluster struct {
	FeedStatus `json:",inline"`
	// ClusterID indicates the id of the cluster.
	// +kubebuilder:validation:Pattern="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
	// +optional
	ClusterID string `json:"clusterId,omitempty"`
	// ClusterName indicates the name of the cluster.
	// +kubebuilder:validation:Pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?([a-z0-9]([-a-z0-9]*[a-z0-9]))*"
	// +optional
	ClusterName string `json:"clusterName,omitempty"`
}

// FeedStatus is the status of one feed.
type FeedStatus struct {
	// Available indicates whether the feed status is synced successfully.
	// +optional
	Available bool `json:"available,omitempty"`
	// ReplicaStatus indicates the replica status of workload-type feeds.
	// +optional
	ReplicaStatus ReplicaStatus `json:"replicaStatus,omitempty"`
}

// ReplicaStatus is the replica status of a workload-type feed.
type ReplicaStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// +optional
	CurrentReplicas int32 `json:"currentReplicas,omitempty"`
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// +optional
	UnavailableReplicas int32 `json:"unavailableReplicas,omitempty"`
	// +optional
	Active int32 `json:"active,omitempty"`
	// +optional
	Succeeded int32 `json:"succeeded,omitempty"`
	// +optional
	Failed int32 `json:"failed,omitempty"`
}

// Subscription distributes feeds from the hub cluster to the clusters its subscribers select.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=sub;subs,categories=clusternet
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Subscription struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec SubscriptionSpec `json:"spec"`
	// +optional
	Status SubscriptionStatus `json:"status,omitempty"`
}

// SubscriptionList contains a list of Subscription
//
// +kubebuilder:object:root=true
type SubscriptionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Subscription `json:"items"`
}
