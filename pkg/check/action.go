package check

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/template"
)

// action checks what one action (or a custom rollback) touches and calls.
func (c *Checker) action(ctx context.Context, where string, rollback bool, namespace string, a *v1alpha1.Action) []Result {
	t := actions.Lookup(a.Type)
	if t == nil {
		return []Result{{Action: where, Rollback: rollback, Check: "type", Outcome: Fail, Detail: fmt.Sprintf("unknown action type %q", a.Type)}}
	}
	var results []Result
	for _, acc := range t.AccessOf(a) {
		results = append(results, c.access(ctx, where, rollback, namespace, acc)...)
	}
	if a.HTTP != nil {
		results = append(results, c.endpoint(ctx, where, rollback, a.HTTP.URL)...)
	}
	return results
}

// rollback checks the action's rollback: its custom one as an action, or what its automatic one
// deletes; and says what a revert could not undo.
func (c *Checker) rollback(ctx context.Context, where, namespace string, p engine.PlannedAction) []Result {
	if p.Rollback != nil {
		results := c.action(ctx, where, true, namespace, p.Rollback)
		what := string(p.Rollback.Type)
		if t := actions.Lookup(p.Rollback.Type); t != nil && t.Target != nil && t.Set(p.Rollback) {
			what = t.Target(p.Rollback)
		}
		return append(results, Result{Action: where, Rollback: true, Check: "revert", Outcome: Pass, Detail: "custom rollback: " + what})
	}
	if why, none := strings.CutPrefix(p.AutoRollback, "none: "); none {
		return []Result{{Action: where, Rollback: true, Check: "revert", Outcome: Warn, Detail: "a revert cannot undo it: " + why,
			Fix: "add a rollback to the action if a revert should undo it"}}
	}
	var results []Result
	for _, acc := range actions.Lookup(p.Action.Type).RollbackAccessOf(p.Action) {
		results = append(results, c.access(ctx, where, true, namespace, acc)...)
	}
	return append(results, Result{Action: where, Rollback: true, Check: "revert", Outcome: Pass, Detail: p.AutoRollback})
}

// unknown says a value is only known when the run comes to it (a placeholder left by the dry run:
// an earlier action's outputs), or cannot be shown (a sensitive parameter's value, REDACTED).
func unknown(s string) bool {
	return template.HasPlaceholder(s) || strings.Contains(s, engine.Redacted)
}

// remember notes what a forward action makes: its objects, and the namespaces and CRDs among them.
func (c *Checker) remember(planNamespace string, a *v1alpha1.Action) {
	t := actions.Lookup(a.Type)
	if t == nil {
		return
	}
	for _, acc := range t.AccessOf(a) {
		if !slices.Contains(acc.Verbs, "create") || acc.Name == "" {
			continue
		}
		switch {
		case acc.GVK.Group == "" && acc.GVK.Kind == "Namespace":
			c.made["namespace/"+acc.Name] = true
		case acc.GVK.Group == "apiextensions.k8s.io" && acc.GVK.Kind == "CustomResourceDefinition":
			c.madeCRD = true
		}
		ns := acc.Namespace
		if ns == "" {
			ns = planNamespace
		}
		c.made[madeKey(acc, ns)] = true
		c.made[madeKey(acc, "")] = true // cluster-scoped, or the namespace the mapper says
	}
}

func madeKey(acc actions.Access, namespace string) string {
	return acc.GVK.GroupKind().String() + "/" + namespace + "/" + acc.Name
}
