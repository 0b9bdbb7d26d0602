package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

func newHistoryCommand(g *globals) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "history PLAN",
		Short: "List every execution of a plan, newest first",
		Long: `History lists all DRPlanExecutions of a plan (by the dr.bkbcs.tencent.com/plan label), newest
first, in pages, however many there are. A plan's status keeps only the last ten.`,
		Example: `  drctl history prod-failover -n dr
  drctl history prod-failover -o wide`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeNames(cmd.Context(), g, v1alpha1.KindDRPlan), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ns, err := kubeClient(g)
			if err != nil {
				return err
			}
			sel := labels.SelectorFromSet(labels.Set{engine.LabelPlan: args[0]})
			obj, err := listKind(cmd.Context(), c, v1alpha1.KindDRPlanExecution, ns, "", sel)
			if err != nil {
				return err
			}
			list := obj.(*v1alpha1.DRPlanExecutionList)
			slices.SortStableFunc(list.Items, func(a, b v1alpha1.DRPlanExecution) int {
				return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(b.Name, a.Name))
			})
			return o.print(g, list, ns)
		},
	}
	o.add(cmd)
	return cmd
}

func newStatusCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "status PLAN",
		Short:   "Show a plan's phase, its running execution and who holds its lock",
		Example: `  drctl status prod-failover -n dr`,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeNames(cmd.Context(), g, v1alpha1.KindDRPlan), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return planStatus(cmd.Context(), g, args[0])
		},
	}
}

func planStatus(ctx context.Context, g *globals, name string) error {
	c, ns, err := kubeClient(g)
	if err != nil {
		return err
	}
	plan := &v1alpha1.DRPlan{}
	if err := c.Get(ctx, objectKey(ns, name), plan); err != nil {
		return fmt.Errorf("get DRPlan %s/%s: %w", ns, name, err)
	}
	clock := lease.NewServerClock()
	info, err := lease.Describe(ctx, c, clock, ns, lease.Name(name))
	if err != nil {
		return err
	}
	w := g.streams.Out
	fmt.Fprintf(w, "Plan:            %s/%s\n", ns, name)
	fmt.Fprintf(w, "Phase:           %s\n", orNone(string(plan.Status.Phase)))
	blocking := "" // an unfinished execution with no live runner: no new run starts until it is dealt with
	if cur := plan.Status.CurrentExecution; cur != nil {
		exec := &v1alpha1.DRPlanExecution{}
		phase := "unknown"
		if c.Get(ctx, objectKey(ns, cur.Name), exec) == nil {
			phase = fmt.Sprintf("%s, %s actions done", orNone(string(exec.Status.Phase)), orNone(exec.Status.Progress))
			if !v1alpha1.IsFinished(exec.Status.Phase) {
				blocking = fmt.Sprintf("%s (%s)", cur.Name, orNone(string(exec.Status.Phase)))
			}
		}
		fmt.Fprintf(w, "Running:         %s (%s)\n", cur.Name, phase)
	} else {
		fmt.Fprintf(w, "Running:         <none>\n")
	}
	switch {
	case info == nil && blocking != "":
		fmt.Fprintf(w, "Lock:            free, but %s has no live runner and blocks new runs: resume, revert or cancel it\n", blocking)
	case info == nil:
		fmt.Fprintf(w, "Lock:            free\n")
	case info.Expired:
		fmt.Fprintf(w, "Lock:            expired (last held by %s); a resume may take it\n", info.Holder)
	default:
		fmt.Fprintf(w, "Lock:            held by %s, expires %s unless renewed\n", info.Holder, info.Expires.UTC().Format(time.RFC3339))
	}
	last := "<none>"
	if plan.Status.LastExecutionRef != "" {
		last = plan.Status.LastExecutionRef
		if t := plan.Status.LastExecutionTime; t != nil {
			last += " at " + t.UTC().Format(time.RFC3339)
		}
	}
	fmt.Fprintf(w, "Last succeeded:  %s\n", last)
	return nil
}
