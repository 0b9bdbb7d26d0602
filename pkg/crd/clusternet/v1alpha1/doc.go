// Package v1alpha1 holds drctl's own Go types for the Clusternet objects its actions create
// (apps.clusternet.io/v1alpha1 Localization, Globalization, Subscription, HelmChart). Clusternet's Go
// module cannot be fetched here, so these types are written to produce JSON identical to Clusternet's;
// a test compares the CRDs generated from them with Clusternet's real CRDs, property by property.
//
// +kubebuilder:object:generate=true
// +groupName=apps.clusternet.io
package v1alpha1
