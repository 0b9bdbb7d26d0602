package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/when"
)

// A Delete-mode Execute takes down what the plan installs, from the same plan: stages run in the
// reverse of their order, each workflow's actions in reverse, one after another. An action runs as
// written when it was written for Delete mode: a pre-delete or post-delete hook, or a condition
// that holds in Delete mode. Any other action that creates or applies an object is turned into the
// delete of that object, by name; the rest (HTTP calls, Jobs, patches, deletes) are skipped,
// saying why. This is the upstream controller's "Delete mode infers delete actions".

// inferDeletes turns a workflow's steps into their Delete-mode form.
func (p *program) inferDeletes(wp *workflowProgram) {
	for _, s := range wp.steps {
		a := s.action
		if writtenForDelete(a, p.whenVars(wp.vars.Params, nil)) {
			continue
		}
		if a.HookType != "" {
			continue // another lifecycle's hook: skipped by its hook type (hookSkip)
		}
		t := actions.Lookup(a.Type)
		if t == nil {
			continue // preflight reports it
		}
		del, why := t.DeleteOf(a)
		if del == nil {
			s.skip = "skipped: Delete mode deletes what the plan creates, and " + why
			continue
		}
		del.Name = a.Name
		s.action = del
		s.inferred = true
	}
}

// deletedByMode reports whether a Delete-mode run turned the action into a delete.
func deletedByMode(a *v1alpha1.Action, vars when.Vars) bool {
	if a.HookType != "" || writtenForDelete(a, vars) {
		return false
	}
	t := actions.Lookup(a.Type)
	if t == nil {
		return false
	}
	del, _ := t.DeleteOf(a)
	return del != nil
}

// writtenForDelete reports whether an action says it runs in Delete mode: a delete hook, or a
// condition on the mode that is true in Delete mode (or is decided by outputs when its turn comes).
func writtenForDelete(a *v1alpha1.Action, vars when.Vars) bool {
	if strings.HasSuffix(a.HookType, "-delete") {
		return true
	}
	if a.When == "" {
		return false
	}
	c, err := when.Compile(a.When)
	if err != nil {
		return false
	}
	ok, decided, err := c.Eval(vars)
	if err == nil && !decided {
		// It also reads outputs: it names the mode and is not false in Delete mode, so it was
		// written for it; its turn decides.
		return c.ReadsMode()
	}
	return err == nil && ok
}

// deleteOrder is the order of a workflow's actions in Delete mode: pre-delete hooks, then the
// other actions in reverse, then post-delete hooks.
func deleteOrder(actions []v1alpha1.Action, order []int) []int {
	var pre, rest, post []int
	for _, i := range order {
		switch actions[i].HookType {
		case "pre-delete":
			pre = append(pre, i)
		case "post-delete":
			post = append(post, i)
		default:
			rest = append(rest, i)
		}
	}
	slices.Reverse(rest)
	return append(append(pre, rest...), post...)
}

// reversedDependencies turns stage dependencies around: each stage waits for the stages that
// waited for it.
func reversedDependencies(stages []v1alpha1.Stage, after [][]string) [][]string {
	out := make([][]string, len(stages))
	for i, deps := range after {
		for _, d := range deps {
			for j, s := range stages {
				if s.Name == d {
					out[j] = append(out[j], stages[i].Name)
				}
			}
		}
	}
	return out
}

// inferredNote is how a dry run marks an action Delete mode turned into a delete.
func inferredNote(s *step) string {
	if !s.inferred {
		return ""
	}
	return fmt.Sprintf("Delete mode: deletes what action %s creates", s.name)
}
