// Package tui renders runs for people: the kubectl-describe style text of executions, plans and
// workflows (describe.go), and — fed by the engine's event stream — the progress views. It never
// calls the API server; callers hand it the objects.
package tui
