#!/usr/bin/env bash
# Regenerates deepcopy functions and CRD YAML from the Go types in pkg/crd. Run from the module root
# (`make generate` does). CONTROLLER_GEN names the controller-gen binary (default bin/controller-gen).
# pkg/crd's staleness test runs this script on a copy of the tree and compares the results.
set -euo pipefail
cg=${CONTROLLER_GEN:-bin/controller-gen}
rm -f pkg/crd/bases/*.yaml pkg/crd/clusternet/bases/*.yaml
"$cg" object:headerFile=hack/boilerplate.go.txt paths=./pkg/crd/...
"$cg" crd:crdVersions=v1 paths=./pkg/crd/v1alpha1/... output:crd:dir=pkg/crd/bases
"$cg" crd:crdVersions=v1 paths=./pkg/crd/clusternet/v1alpha1/... output:crd:dir=pkg/crd/clusternet/bases
go run ./hack/crdcompat pkg/crd/bases
