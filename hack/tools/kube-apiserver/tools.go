//go:build tools

// Package tools pins kube-apiserver (for tests and `make cluster-up`) and kubectl (for the demo
// and the kubectl-plugin tests) so `go mod tidy` keeps their dependencies.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
