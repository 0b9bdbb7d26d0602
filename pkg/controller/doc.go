// Package controller is `drctl serve`: drctl's engine run in the cluster by a controller-runtime
// manager, for the GitOps path where a DRPlanExecution that someone applies just runs.
//
// It is a second front door to the same engine the CLI uses, not a second engine: an execution
// is claimed through its plan's Lease exactly as `drctl execute` claims one, so serve and CLI
// runs never overlap, and an execution whose CLI runner died (its Lease expired) is resumed here
// from its record.
//
//	manager.go               the manager: caches, clients, the runner identity, health, metrics
//	execution_reconciler.go  what to do with an execution: run it, resume it, leave it alone
//	runs.go                  the executions running in this process, each in its own goroutine
//	metrics.go               Prometheus metrics of runs and actions
package controller
