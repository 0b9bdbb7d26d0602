// Package actions performs the actions of a workflow, one file per type: http.go, resource.go,
// and so on. Each type implements Executor (one attempt of a rendered action, reporting its
// outputs) and, where the specification gives it one, AutoRollbacker (the action that undoes it).
// The engine finds them in a Registry by type name; it never knows a concrete type, and actions
// never write execution status.
package actions
