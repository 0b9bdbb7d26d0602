package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HelmChartSpec names a chart in a repository and how to install it.
type HelmChartSpec struct {
	// a Helm Repository to be used.
	// OCI-based registries are also supported.
	// For example, https://charts.bitnami.com/bitnami or oci://localhost:5000/helm-charts
	// +kubebuilder:validation:Pattern=`^(http|https|oci)?://(?:[a-zA-Z]|[0-9]|[$-_@.&+]|[!*\(\),]|(?:%[0-9a-fA-F][0-9a-fA-F]))+$`
	Repository string `json:"repo"`
	// ChartPullSecret is the name of the secret that contains the auth information for the chart repository.
	// +optional
	ChartPullSecret ChartPullSecret `json:"chartPullSecret,omitempty"`
	// Chart is the name of a Helm Chart in the Repository.
	Chart string `json:"chart"`
	// ChartVersion is the version of the chart to be deployed.
	// It will be defaulted with current latest version if empty.
	// +optional
	ChartVersion string `json:"version,omitempty"`
	// TargetNamespace specifies the namespace to install this HelmChart
	TargetNamespace string `json:"targetNamespace"`

	HelmOptions `json:",inline"`
}

// ChartPullSecret names the Secret holding chart repository credentials.
type ChartPullSecret struct {
	// Name is the name of the secret.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace is the namespace of the secret.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// HelmOptions are the Helm install/upgrade options of a HelmChart.
type HelmOptions struct {
	// TimeoutSeconds is the timeout of the chart to be install/upgrade/rollback/uninstall
	// +kubebuilder:default=300
	// +optional
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
	// Wait determines whether the wait operation should be performed after helm install, upgrade or uninstall is requested.
	// +optional
	Wait *bool `json:"wait,omitempty"`
	// WaitForJobs determines whether the wait operation for the Jobs should be performed after the upgrade is requested.
	// +optional
	WaitForJob *bool `json:"waitForJob,omitempty"`
	// CreateNamespace create namespace when install helm release
	// +kubebuilder:default=true
	// +optional
	CreateNamespace *bool `json:"createNamespace,omitempty"`
	// Atomic, for install case, if true, will uninstall failed release.
	// +optional
	Atomic *bool `json:"atomic,omitempty"`
	// UpgradeAtomic, for upgrade case, if true, will roll back failed release.
	// +optional
	UpgradeAtomic *bool `json:"upgradeAtomic,omitempty"`
	// Replace will re-use the given name, only if that name is a deleted release that remains in the history.
	// This is unsafe in production.
	// +optional
	Replace *bool `json:"replace,omitempty"`
	// SkipCRDs skips installing CRDs when install flag is enabled during upgrade
	// +optional
	SkipCRDs *bool `json:"skipCRDs,omitempty"`
	// ReplaceCRDs replace all crds in chart and sub charts before upgrade and install, not working when SkipCRDs true
	// +optional
	ReplaceCRDs *bool `json:"replaceCRDs,omitempty"`
	// DisableHooks disables hook processing if set to true.
	// +optional
	DisableHooks *bool `json:"disableHooks,omitempty"`
	// Force will, if set to `true`, ignore certain warnings and perform the upgrade anyway.
	// This should be used with caution.
	// +optional
	Force *bool `json:"force,omitempty"`
	// PlainHTTP enables plain HTTP for OCI registries.
	// This is opt-in and should only be used for registries that do not serve HTTPS.
	// +optional
	PlainHTTP *bool `json:"plainHTTP,omitempty"`
}

// HelmChartPhase says whether the chart was found in its repository.
// +kubebuilder:validation:Enum=Found;NotFound
type HelmChartPhase string

// HelmChartStatus is the observed state of a HelmChart.
type HelmChartStatus struct {
	// Phase denotes the phase of the HelmChart
	// +optional
	Phase HelmChartPhase `json:"phase,omitempty"`
	// Reason indicates the reason of the HelmChartPhase
	// +optional
	Reason string `json:"reason,omitempty"`
}

// HelmChart is a Helm chart that Clusternet deploys to child clusters.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=chart;charts,categories=clusternet
// +kubebuilder:printcolumn:name="CHART",type=string,JSONPath=`.spec.chart`,description="The helm chart name"
// +kubebuilder:printcolumn:name="VERSION",type=string,JSONPath=`.spec.version`,description="The helm chart version"
// +kubebuilder:printcolumn:name="REPO",type=string,JSONPath=`.spec.repo`,description="The helm repo url"
// +kubebuilder:printcolumn:name="STATUS",type=string,JSONPath=`.status.phase`,description="The helm chart status"
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type HelmChart struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec HelmChartSpec `json:"spec"`
	// +optional
	Status HelmChartStatus `json:"status,omitempty"`
}

// HelmChartList contains a list of HelmChart
//
// +kubebuilder:object:root=true
type HelmChartList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HelmChart `json:"items"`
}
