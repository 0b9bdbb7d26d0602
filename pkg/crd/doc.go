// Package crd owns drctl's CustomResourceDefinitions: the generated CRD YAML for
// dr.bkbcs.tencent.com/v1alpha1 (embedded in the binary), the runtime.Scheme that knows drctl's
// kinds, and Install/Uninstall, which put the CRDs into a cluster with server-side apply.
//
// The Go types live in pkg/crd/v1alpha1; drctl's own types for Clusternet's objects in
// pkg/crd/clusternet/v1alpha1. Run `make generate` after changing either.
package crd
