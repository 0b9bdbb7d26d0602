package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/when"
)

// conditionSkips evaluates an action's `when` as the step is about to start, with the outputs of
// the actions before it: why the action is skipped ("" when it runs, or has no condition), or an
// error (it does not compile, or reads a parameter or output that does not exist), which fails
// the action: a condition that cannot be decided must not be taken as either answer. An action
// an earlier runner started (a resume) is not judged again: it may have acted.
func (r *runner) conditionSkips(expr string, vars Vars, recorded v1alpha1.ActionStatus) (string, error) {
	if expr == "" || recorded.Attempts > 0 || recorded.Phase == v1alpha1.PhaseRunning {
		return "", nil
	}
	c, err := when.Compile(expr)
	if err != nil {
		return "", fmt.Errorf("when %q: %w", expr, err)
	}
	outputs := vars.Outputs
	if outputs == nil {
		outputs = map[string]map[string]string{}
	}
	ok, _, err := c.Eval(r.prog.whenVars(vars.Params, outputs))
	switch {
	case err != nil && outputs[strings.TrimPrefix(err.Error(), "no such key: ")] == nil && slices.Contains(c.Outputs(), strings.TrimPrefix(err.Error(), "no such key: ")):
		name := strings.TrimPrefix(err.Error(), "no such key: ")
		return "", fmt.Errorf("when %q: action %s has no outputs: it was skipped or has not run (guard with %q in outputs)", expr, name, name)
	case err != nil:
		return "", fmt.Errorf("when %q: %w", expr, err)
	case !ok:
		return fmt.Sprintf("skipped: when %q is false", expr), nil
	}
	return "", nil
}

// whenVars are what a condition of the program's actions reads (outputs nil: not known yet).
func (p *program) whenVars(params map[string]string, outputs map[string]map[string]string) when.Vars {
	return when.Vars{Mode: string(p.mode), Operation: string(p.operation), Params: params, Outputs: outputs}
}

// conditionProblem says why an action's condition cannot be decided when its turn comes ("" when
// it can): it does not compile, reads a parameter the workflow does not have, or chooses by mode
// in a run that has none (for a Revert, the reverted Execute's). Without a mode the upstream
// controller runs every branch (install and upgrade alike); drctl refuses instead, before
// anything runs.
func (p *program) conditionProblem(expr string, params map[string]string) string {
	if expr == "" {
		return ""
	}
	c, err := when.Compile(expr)
	if err != nil {
		return fmt.Sprintf("when %q: %v", expr, err)
	}
	if p.readsMode(c.ReadsMode()) {
		if p.operation == v1alpha1.OperationRevert {
			return fmt.Sprintf("when %q chooses by mode, and the reverted execution had none", expr)
		}
		return fmt.Sprintf("when %q chooses by mode, and the execution has none: set its mode (drctl execute --mode Install|Upgrade|Delete|Rollback, or spec.mode)", expr)
	}
	if _, _, err := c.Eval(p.whenVars(params, nil)); err != nil {
		return fmt.Sprintf("when %q: %v", expr, err)
	}
	return ""
}

// readsMode reports whether a choice by mode has no mode to go by.
func (p *program) readsMode(choosesByMode bool) bool { return choosesByMode && p.mode == "" }

// hookProblem refuses an Execute without a mode of a plan with hooks: which lifecycle runs is
// the mode's to say.
func (p *program) hookProblem(a *v1alpha1.Action) string {
	if a.HookType == "" || p.operation == v1alpha1.OperationRevert || !p.readsMode(true) {
		return ""
	}
	return fmt.Sprintf("a %s hook runs in its lifecycle's mode, and the execution has none: set its mode (drctl execute --mode Install|Upgrade|Delete|Rollback, or spec.mode)", a.HookType)
}
