// Package v1alpha1 holds the Go API of dr.bkbcs.tencent.com/v1alpha1: DRWorkflow (what to do),
// DRPlan (which workflows, in which stages, with which parameters) and DRPlanExecution (the record
// of one run). JSON names, types, enums and defaults match the upstream in-cluster controller's CRDs
// exactly; fields drctl adds are optional, so objects written for either implementation work in both.
//
// +kubebuilder:object:generate=true
// +groupName=dr.bkbcs.tencent.com
package v1alpha1
