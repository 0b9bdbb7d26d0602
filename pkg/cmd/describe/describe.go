// Package describe is `drctl describe`: one plan, workflow or execution shown in detail, as
// kubectl describe shows an object (pkg/tui writes the text).
package describe

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// Options are the arguments of drctl describe.
type Options struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	Now        func() time.Time

	// Kind is the object's kind (DRPlan, DRWorkflow or DRPlanExecution), Name its name.
	Kind, Name string
}

// NewCmdDescribe builds the command; runF, when set, runs instead of Run once the arguments are
// checked.
func NewCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, KubeClient: f.KubeClient, Now: time.Now}
	return &cobra.Command{
		Use:   "describe plan|workflow|execution NAME",
		Short: "Show a plan, workflow or execution in detail",
		Long: `Describe shows one object the way kubectl describe would: for an execution, every stage,
workflow and action with phase, attempts, duration and message, the outputs, and its events.`,
		Example: `  drctl describe execution prod-failover-20261128-031500-a1b2 -n dr
  drctl describe plan prod-failover`,
		Args: cmdutil.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"plan", "workflow", "execution"}, cobra.ShellCompDirectiveNoFileComp
			}
			kind, _ := cmdutil.ResourceKind(args[0])
			if f.CompleteNames == nil || kind == "" {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return f.CompleteNames(cmd.Context(), kind), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Complete(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Complete takes the arguments: a resource name and an object name.
func (o *Options) Complete(args []string) error {
	kind, ok := cmdutil.ResourceKind(args[0])
	if !ok {
		return cmdutil.Invalidf("unknown resource %q: want plan, workflow or execution", args[0])
	}
	o.Kind, o.Name = kind, args[1]
	return nil
}

// Run reads the object and describes it.
func Run(ctx context.Context, o *Options) error {
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	key, now := client.ObjectKey{Namespace: ns, Name: o.Name}, o.Now()
	switch o.Kind {
	case v1alpha1.KindDRPlan:
		plan := &v1alpha1.DRPlan{}
		if err := c.Get(ctx, key, plan); err != nil {
			return fmt.Errorf("get DRPlan %s/%s: %w", ns, o.Name, err)
		}
		tui.DescribePlan(o.IO.Out, plan, now)
	case v1alpha1.KindDRWorkflow:
		wf := &v1alpha1.DRWorkflow{}
		if err := c.Get(ctx, key, wf); err != nil {
			return fmt.Errorf("get DRWorkflow %s/%s: %w", ns, o.Name, err)
		}
		tui.DescribeWorkflow(o.IO.Out, wf, now)
	default:
		// A live or dead run's latest transitions may be in its journal only.
		exec, err := engine.ReadExecution(ctx, c, ns, o.Name)
		if err != nil {
			return fmt.Errorf("get DRPlanExecution %s/%s: %w", ns, o.Name, err)
		}
		events := &corev1.EventList{}
		if err := c.List(ctx, events, client.InNamespace(ns), client.MatchingFields{"involvedObject.name": o.Name}); err != nil {
			fmt.Fprintf(o.IO.ErrOut, "warning: cannot list events: %v\n", err)
		}
		tui.DescribeExecution(o.IO.Out, exec, events.Items, now)
	}
	return nil
}
