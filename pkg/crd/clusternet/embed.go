// Package clusternet embeds the CRDs generated from drctl's own Clusternet types
// (pkg/crd/clusternet/v1alpha1). drctl never installs them into a cluster: Clusternet installs its
// own. They exist so a test can prove drctl's types describe exactly what Clusternet's CRDs accept.
package clusternet

import (
	"embed"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/drctl/drctl/pkg/crd"
)

//go:embed bases/*.yaml
var bases embed.FS

// CRDs returns the CRDs generated from drctl's Clusternet types, sorted by name.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	return crd.ReadCRDs(bases, "bases")
}
