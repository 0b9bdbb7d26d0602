// Package actions knows every action type, one file per type: http.go, job.go, resource.go and
// clusternet.go. Each file registers a Type (types.go) that owns everything about its type: the
// Executor that performs one attempt of a rendered action and reports its outputs, the checks
// validate runs on it, its automatic rollback and how that is described, which of its fields
// are documents, and how the views show it. The engine, validate and the views ask the table;
// they never switch on a type name, and actions never write execution status.
package actions
