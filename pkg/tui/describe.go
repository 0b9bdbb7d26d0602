package tui

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/validate"
)

// describer writes "Key:  value" lines and indented sections, like kubectl describe.
type describer struct {
	w   *tabwriter.Writer
	now time.Time
}

func newDescriber(out io.Writer, now time.Time) *describer {
	return &describer{w: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0), now: now}
}

func (d *describer) line(indent int, format string, args ...any) {
	fmt.Fprintf(d.w, strings.Repeat("  ", indent)+format+"\n", args...)
}

func (d *describer) flush() { _ = d.w.Flush() }

func or(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// DescribeExecution writes an execution: what ran, how it went (per stage, workflow and action,
// with durations, attempts and messages), outputs, and its events.
func DescribeExecution(out io.Writer, exec *v1alpha1.DRPlanExecution, events []corev1.Event, now time.Time) {
	d := newDescriber(out, now)
	st := exec.Status
	d.line(0, "Name:\t%s", exec.Name)
	d.line(0, "Namespace:\t%s", exec.Namespace)
	d.line(0, "Plan:\t%s", exec.Spec.PlanRef)
	op := string(exec.Spec.OperationType)
	if exec.Spec.RevertExecutionRef != "" {
		op += " of " + exec.Spec.RevertExecutionRef
	}
	d.line(0, "Operation:\t%s", op)
	if exec.Spec.Mode != "" {
		d.line(0, "Mode:\t%s", exec.Spec.Mode)
	}
	d.line(0, "Phase:\t%s", or(string(st.Phase), "Pending"))
	d.line(0, "Progress:\t%s", or(st.Progress, "<none>"))
	if st.StartTime != nil {
		d.line(0, "Started:\t%s", st.StartTime.UTC().Format(time.RFC3339))
	}
	if st.CompletionTime != nil && st.StartTime != nil {
		d.line(0, "Completed:\t%s (took %s)", st.CompletionTime.UTC().Format(time.RFC3339), st.CompletionTime.Sub(st.StartTime.Time).Round(time.Millisecond))
	}
	if r := st.Runner; r != nil {
		d.line(0, "Runner:\t%s@%s pid %d, drctl %s (%s)", r.User, r.Host, r.PID, r.Version, r.Mode)
		if r.Holder != "" {
			// The record's owner: the Lease holder and epoch that may write it (the fence).
			d.line(0, "Owner:\tepoch %d, %s", r.Epoch, r.Holder)
		}
	}
	if st.Message != "" {
		d.line(0, "Message:\t%s", st.Message)
	}
	d.describeControlState(exec)
	if len(st.ResolvedParams) > 0 {
		d.line(0, "Parameters:")
		for _, k := range sortedKeys(st.ResolvedParams) {
			d.line(1, "%s:\t%s", k, st.ResolvedParams[k])
		}
	}
	d.flush()
	fmt.Fprintln(out, "Stages:")
	after := actionDependencies(exec)
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  STAGE\tWORKFLOW\tACTION\tPHASE\tATTEMPTS\tDURATION\tMESSAGE")
	for i, ss := range st.StageStatuses {
		fmt.Fprintf(tw, "  %s\t\t\t%s\t\t%s\t%s\n", ss.Name, or(string(ss.Phase), "Pending"), or(ss.Duration, "-"), ss.Message)
		labels := engine.WorkflowLabels(&st.StageStatuses[i])
		for j, w := range ss.WorkflowExecutions {
			fmt.Fprintf(tw, "  \t%s\t\t%s\t\t%s\t%s\n", labels[j], or(string(w.Phase), "Pending"), or(w.Duration, "-"), w.Message)
			for _, a := range w.ActionStatuses {
				name := a.Name
				if deps := after.of(i, j, a.Name); len(deps) > 0 {
					name += " (after " + strings.Join(deps, ", ") + ")"
				}
				fmt.Fprintf(tw, "  \t\t%s\t%s\t%d\t%s\t%s\n", name, or(string(a.Phase), "Pending"), a.Attempts, or(a.Duration, "-"), oneLine(engine.ActionSummary(&a), 100))
				for _, c := range a.ClusterStatuses { // a PerCluster action, cluster by cluster
					fmt.Fprintf(tw, "  \t\t  cluster %s\t%s\t\t\t%s\n", c.Cluster, or(string(c.Phase), "Pending"), oneLine(c.Message, 100))
				}
			}
		}
	}
	_ = tw.Flush()
	var outputs []string
	for i, ss := range st.StageStatuses {
		labels := engine.WorkflowLabels(&st.StageStatuses[i])
		for j, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				vals := engine.OutputValues(a.Outputs)
				if len(vals) == 0 {
					continue
				}
				var kv []string
				for _, k := range sortedKeys(vals) {
					if k == "body" {
						continue
					}
					kv = append(kv, k+"="+vals[k])
				}
				outputs = append(outputs, fmt.Sprintf("  %s/%s/%s:\t%s", ss.Name, labels[j], a.Name, strings.Join(kv, " ")))
			}
		}
	}
	if len(outputs) > 0 {
		fmt.Fprintln(out, "Outputs:")
		tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
		for _, o := range outputs {
			fmt.Fprintln(tw, o)
		}
		_ = tw.Flush()
	}
	describeSignals(out, st.Signals, now)
	describeEvents(out, events, now)
}

// describeEvents writes events oldest first, as kubectl describe does.
func describeEvents(out io.Writer, events []corev1.Event, now time.Time) {
	if len(events) == 0 {
		fmt.Fprintln(out, "Events:  <none>")
		return
	}
	// Timestamps keep whole seconds; within one, the order the API server stored them in (the
	// resourceVersion, which increases) is the order they happened in.
	slices.SortStableFunc(events, func(a, b corev1.Event) int {
		return cmp.Or(a.LastTimestamp.Compare(b.LastTimestamp.Time), cmp.Compare(resourceVersion(a), resourceVersion(b)))
	})
	fmt.Fprintln(out, "Events:")
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tREASON\tAGE\tMESSAGE")
	for _, e := range events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.Type, e.Reason, duration.HumanDuration(now.Sub(e.LastTimestamp.Time)), oneLine(e.Message, 120))
	}
	_ = tw.Flush()
}

// DescribePlan writes a plan: its stages and workflows with dependencies and parameters, and its
// status with the recent history.
func DescribePlan(out io.Writer, plan *v1alpha1.DRPlan, now time.Time) {
	d := newDescriber(out, now)
	d.line(0, "Name:\t%s", plan.Name)
	d.line(0, "Namespace:\t%s", plan.Namespace)
	if plan.Spec.Description != "" {
		d.line(0, "Description:\t%s", plan.Spec.Description)
	}
	d.line(0, "Failure policy:\t%s", or(string(plan.Spec.FailurePolicy), "Stop"))
	if plan.Spec.OnFailure == v1alpha1.OnFailureAsk {
		d.line(0, "On failure:\tAsk (a failed action waits for drctl retry, skip or reject)")
	}
	if sa := plan.Spec.ServiceAccountName; sa != "" {
		d.line(0, "Acts as:\tServiceAccount %s (under drctl serve)", sa)
	}
	d.line(0, "Phase:\t%s", or(string(plan.Status.Phase), "<none>"))
	if c := readyCondition(plan.Status.Conditions); c != nil && c.Status != metav1.ConditionTrue {
		d.line(0, "Why:\t%s", c.Message)
	}
	if cur := plan.Status.CurrentExecution; cur != nil {
		d.line(0, "Running:\t%s", cur.Name)
	}
	d.line(0, "Last succeeded:\t%s", or(plan.Status.LastExecutionRef, "<none>"))
	if len(plan.Spec.GlobalParams) > 0 {
		d.line(0, "Global parameters:")
		for _, p := range plan.Spec.GlobalParams {
			d.line(1, "%s:\t%s", p.Name, paramValue(p))
		}
	}
	d.line(0, "Stages:")
	after := validate.StageDependencies(plan.Spec.Stages)
	for i, s := range plan.Spec.Stages {
		mode := "sequential"
		if s.Parallel {
			mode = "parallel"
		}
		deps := ""
		switch {
		case len(s.DependsOn) > 0:
			deps = ", after " + strings.Join(s.DependsOn, ", ")
		case len(after[i]) > 0:
			deps = ", after " + strings.Join(after[i], ", ") + ", the stage before it"
		case i > 0:
			deps = ", starts with the run"
		}
		d.line(1, "%s (%s%s)", s.Name, mode, deps)
		if a := s.Approval; a != nil {
			timeout := ""
			if a.Timeout != "" {
				timeout = ", rejected after " + a.Timeout
			}
			d.line(2, "waits for approval%s: %s", timeout, or(a.Message, "(no message)"))
		}
		for _, w := range s.Workflows {
			var ps []string
			for _, p := range w.Params {
				ps = append(ps, p.Name+"="+paramValue(p))
			}
			extra := ""
			if len(ps) > 0 {
				extra = "\t" + strings.Join(ps, " ")
			}
			d.line(2, "- %s%s", qualified(w.WorkflowRef.Namespace, w.WorkflowRef.Name), extra)
		}
	}
	if len(plan.Status.ExecutionHistory) > 0 {
		d.line(0, "History:")
		for _, h := range plan.Status.ExecutionHistory {
			started := ""
			if h.StartTime != nil {
				started = duration.HumanDuration(now.Sub(h.StartTime.Time)) + " ago"
			}
			d.line(1, "%s\t%s\t%s\t%s", h.Name, OperationLabel(h.OperationType, h.Mode), or(string(h.Phase), "Pending"), started)
		}
	}
	d.flush()
}

// readyCondition is the Ready condition drctl serve keeps on workflows and plans, if any.
func readyCondition(conds []metav1.Condition) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == "Ready" {
			return &conds[i]
		}
	}
	return nil
}

// DescribeWorkflow writes a workflow: its parameters and actions with their rollbacks.
func DescribeWorkflow(out io.Writer, wf *v1alpha1.DRWorkflow, now time.Time) {
	d := newDescriber(out, now)
	d.line(0, "Name:\t%s", wf.Name)
	d.line(0, "Namespace:\t%s", wf.Namespace)
	d.line(0, "Failure policy:\t%s", or(string(wf.Spec.FailurePolicy), "FailFast"))
	if wf.Status.Phase != "" {
		d.line(0, "Phase:\t%s", wf.Status.Phase)
	}
	if c := readyCondition(wf.Status.Conditions); c != nil && c.Status != metav1.ConditionTrue {
		d.line(0, "Why:\t%s", c.Message)
	}
	if len(wf.Spec.Parameters) > 0 {
		d.line(0, "Parameters:")
		for _, p := range wf.Spec.Parameters {
			req := ""
			if validate.IsRequired(p) {
				req = " (required)"
			}
			d.line(1, "%s:\t%s%s", p.Name, paramValue(p), req)
		}
	}
	d.line(0, "Actions:")
	for i, a := range wf.Spec.Actions {
		d.line(1, "%d. %s\t%s\t%s", i+1, a.Name, a.Type, target(&a))
		if len(a.DependsOn) > 0 {
			d.line(2, "after:\t%s", strings.Join(a.DependsOn, ", "))
		}
		if a.When != "" {
			d.line(2, "when:\t%s", oneLine(a.When, 200))
		}
		if a.Rollback != nil {
			d.line(2, "rollback:\t%s\t%s", a.Rollback.Type, target(a.Rollback))
		} else {
			d.line(2, "rollback:\t%s", engineAutoRollback(&a))
		}
	}
	d.flush()
}

// target summarises what an action acts on, as its type shows it.
func target(a *v1alpha1.Action) string {
	if t := actions.Lookup(a.Type); t != nil && t.Set(a) {
		return t.Target(a)
	}
	return ""
}

func engineAutoRollback(a *v1alpha1.Action) string { return engine.DescribeAutoRollback(a) }

func paramValue(p v1alpha1.Parameter) string {
	switch {
	case p.Value != nil:
		return fmt.Sprintf("%q", *p.Value)
	case p.Default != nil:
		return fmt.Sprintf("%q (default)", *p.Default)
	case p.ValueFrom != nil && p.ValueFrom.ManifestRef != nil:
		r := p.ValueFrom.ManifestRef
		return fmt.Sprintf("from %s %s %s", r.Kind, or(r.Name, r.LabelSelector), r.JSONPath)
	}
	return "<none>"
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// OperationLabel names an execution's operation with its mode: "Execute (Delete)", "Revert".
func OperationLabel(op v1alpha1.OperationType, mode v1alpha1.ExecutionMode) string {
	if mode == "" {
		return string(op)
	}
	return fmt.Sprintf("%s (%s)", op, mode)
}

// resourceVersion is an object's resourceVersion as a number (0 when it is not one).
func resourceVersion(e corev1.Event) uint64 {
	v, _ := strconv.ParseUint(e.ResourceVersion, 10, 64)
	return v
}
