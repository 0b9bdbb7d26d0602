package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

func newDescribeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "describe plan|workflow|execution NAME",
		Short: "Show a plan, workflow or execution in detail",
		Long: `Describe shows one object the way kubectl describe would: for an execution, every stage,
workflow and action with phase, attempts, duration and message, the outputs, and its events.`,
		Example: `  drctl describe execution prod-failover-20261128-031500-a1b2 -n dr
  drctl describe plan prod-failover`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"plan", "workflow", "execution"}, cobra.ShellCompDirectiveNoFileComp
			}
			return completeNames(cmd.Context(), g, kinds[args[0]]), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, ok := kinds[args[0]]
			if !ok {
				return cmdutil.Invalidf("unknown resource %q: want plan, workflow or execution", args[0])
			}
			c, ns, err := kubeClient(g)
			if err != nil {
				return err
			}
			ctx, name, now := cmd.Context(), args[1], time.Now()
			switch kind {
			case v1alpha1.KindDRPlan:
				plan := &v1alpha1.DRPlan{}
				if err := c.Get(ctx, objectKey(ns, name), plan); err != nil {
					return fmt.Errorf("get DRPlan %s/%s: %w", ns, name, err)
				}
				tui.DescribePlan(g.streams.Out, plan, now)
			case v1alpha1.KindDRWorkflow:
				wf := &v1alpha1.DRWorkflow{}
				if err := c.Get(ctx, objectKey(ns, name), wf); err != nil {
					return fmt.Errorf("get DRWorkflow %s/%s: %w", ns, name, err)
				}
				tui.DescribeWorkflow(g.streams.Out, wf, now)
			default:
				// A live or dead run's latest transitions may be in its journal only.
				exec, err := engine.ReadExecution(ctx, c, ns, name)
				if err != nil {
					return fmt.Errorf("get DRPlanExecution %s/%s: %w", ns, name, err)
				}
				events := &corev1.EventList{}
				if err := c.List(ctx, events, client.InNamespace(ns), client.MatchingFields{"involvedObject.name": name}); err != nil {
					fmt.Fprintf(g.streams.ErrOut, "warning: cannot list events: %v\n", err)
				}
				tui.DescribeExecution(g.streams.Out, exec, events.Items, now)
			}
			return nil
		},
	}
}
