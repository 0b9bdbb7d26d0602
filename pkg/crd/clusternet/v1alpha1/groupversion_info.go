package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is Clusternet's apps API group and version.
var GroupVersion = schema.GroupVersion{Group: "apps.clusternet.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the Clusternet kinds drctl uses with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the Clusternet kinds drctl uses to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&Localization{}, &LocalizationList{},
		&Globalization{}, &GlobalizationList{},
		&Subscription{}, &SubscriptionList{},
		&HelmChart{}, &HelmChartList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
