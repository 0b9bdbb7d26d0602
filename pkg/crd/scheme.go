package crd

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	drv1alpha1 "github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// NewScheme returns a scheme that knows Kubernetes' built-in kinds, CustomResourceDefinitions,
// drctl's kinds and the Clusternet kinds drctl's actions create.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(drv1alpha1.AddToScheme(s))
	utilruntime.Must(clusternetv1alpha1.AddToScheme(s))
	return s
}
