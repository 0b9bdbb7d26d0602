package engine

import (
	"fmt"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Hook actions carry the Helm lifecycle they were generated from (hookType, e.g. pre-install):
// a hook runs only in its lifecycle. In an Execute that is the mode: pre-install and post-install
// hooks run in Install mode, pre-upgrade and post-upgrade in Upgrade mode, and so on, in the order
// the workflow lists them. pre-rollback and post-rollback hooks also run around a Revert: before
// and after the rollbacks of their workflow. Hooks themselves are never undone.

// hookLifecycle is the lifecycle of a hook type ("install" for pre-install).
func hookLifecycle(hookType string) string {
	_, lifecycle, _ := strings.Cut(hookType, "-")
	return lifecycle
}

// hookSkip says why a hook action does not run in an Execute of the given mode ("" when it runs,
// or is not a hook).
func hookSkip(a *v1alpha1.Action, mode v1alpha1.ExecutionMode) string {
	if a.HookType == "" || hookLifecycle(a.HookType) == strings.ToLower(string(mode)) {
		return ""
	}
	if mode == "" {
		return fmt.Sprintf("skipped: a %s hook, and the execution has no mode", a.HookType)
	}
	return fmt.Sprintf("skipped: a %s hook, and the execution's mode is %s", a.HookType, mode)
}

// isRollbackHook reports whether an action runs around a revert of its workflow, and where.
func isRollbackHook(a *v1alpha1.Action) (pre, post bool) {
	return a.HookType == "pre-rollback", a.HookType == "post-rollback"
}
