package tui

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// maxSummaryItems is how many actions the confirmation summary names in a list before it counts
// the rest: the summary is one screen.
const maxSummaryItems = 8

// ExecuteSummary is what execute shows on a terminal before it asks to go on: the plan, its
// stages and actions, the namespaces and kinds it touches, its warnings, and what a revert
// could not undo; dryRun is the command that shows every rendered action.
func ExecuteSummary(namespace, plan string, mode v1alpha1.ExecutionMode, planned []engine.PlannedAction, warnings []string, dryRun string) string {
	var b strings.Builder
	stages := map[string]bool{}
	touched := map[string]bool{}
	var noRollback, skipped, reach, gates []string
	ask := false
	for _, p := range planned {
		if !stages[p.Stage] && p.StageApproval != nil {
			gates = append(gates, fmt.Sprintf("%s: %s", p.Stage, or(p.StageApproval.Message, "(no message)")))
		}
		stages[p.Stage] = true
		ask = ask || p.AskOnFailure
		where := fmt.Sprintf("%s/%s/%s", p.Stage, p.Workflow, p.Action.Name)
		if why, ok := strings.CutPrefix(p.Condition, "skipped: "); ok {
			skipped = append(skipped, where+": "+why)
			continue
		}
		touched[touches(p.Action, namespace)] = true
		for _, r := range p.Reach {
			reach = append(reach, fmt.Sprintf("%s: %s", where, r))
		}
		if p.Rollback == nil && strings.HasPrefix(p.AutoRollback, "none") {
			noRollback = append(noRollback, fmt.Sprintf("%s: %s", where, strings.TrimPrefix(p.AutoRollback, "none: ")))
		}
	}
	operation := "execute"
	if mode != "" {
		operation += " (mode " + string(mode) + ")"
	}
	fmt.Fprintf(&b, "About to %s plan %s/%s: %d stages, %d actions.\n", operation, namespace, plan, len(stages), len(planned))
	fmt.Fprintf(&b, "Touches: %s\n", strings.Join(sortedKeys(touched), ", "))
	writeList(&b, "Warnings", warnings)
	writeList(&b, "Skipped by their conditions", skipped)
	writeList(&b, "Reaches beyond the plan's namespace or rights", reach)
	writeList(&b, "A revert cannot undo", noRollback)
	writeList(&b, "Waits for approval (drctl approve) before", gates)
	if ask {
		b.WriteString("On failure: an action that fails waits for drctl retry, skip or reject instead of ending the run.\n")
	}
	fmt.Fprintf(&b, "%s (with the same -p and --mode) shows every rendered action.\n", dryRun)
	return b.String()
}

// RevertSummary is what revert shows on a terminal before it asks to go on: the execution it
// undoes, and planned, the Revert as it will run (engine.PlanRevert): every action it will
// undo, in the order it will.
func RevertSummary(target, planned *v1alpha1.DRPlanExecution) string {
	var b strings.Builder
	var undo []string
	for i := range planned.Status.StageStatuses {
		ss := &planned.Status.StageStatuses[i]
		labels := engine.WorkflowLabels(ss)
		for j, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				undo = append(undo, fmt.Sprintf("%s/%s/%s", ss.Name, labels[j], a.Name))
			}
		}
	}
	fmt.Fprintf(&b, "About to revert %s/%s (%s of plan %s, %s): %d actions in %d stages to undo.\n",
		target.Namespace, target.Name, OperationLabel(target.Spec.OperationType, target.Spec.Mode), target.Spec.PlanRef,
		orPending(target.Status.Phase), len(undo), len(planned.Status.StageStatuses))
	writeList(&b, "In this order (stages that ran side by side are undone side by side), each by its custom rollback, else the automatic one, else skipped", undo)
	return b.String()
}

// writeList writes a heading and up to maxSummaryItems items, counting the rest.
func writeList(b *strings.Builder, heading string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "%s (%d):\n", heading, len(items))
	for i, item := range items {
		if i == maxSummaryItems {
			fmt.Fprintf(b, "  ... and %d more\n", len(items)-i)
			break
		}
		fmt.Fprintf(b, "  %s\n", item)
	}
}

// touches names the kind and namespace an action acts on ("Deployment in shop"), or the host an
// HTTP action calls.
func touches(a *v1alpha1.Action, planNamespace string) string {
	in := func(kind, ns string) string { return kind + " in " + cmp.Or(ns, planNamespace) }
	switch {
	case a.HTTP != nil:
		if u, err := url.Parse(a.HTTP.URL); err == nil && u.Host != "" {
			return "HTTP " + u.Host
		}
		return "HTTP"
	case a.Job != nil:
		return in("Job", a.Job.Namespace)
	case a.Localization != nil:
		return in("Localization", a.Localization.Namespace)
	case a.Subscription != nil:
		return in("Subscription", a.Subscription.Namespace)
	case a.Resource != nil:
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if yaml.Unmarshal([]byte(a.Resource.Manifest), &m) != nil || m.Kind == "" {
			return "a manifest"
		}
		return in(m.Kind, m.Metadata.Namespace)
	}
	return string(a.Type)
}
