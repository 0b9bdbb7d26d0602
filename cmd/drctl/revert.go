package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

func newRevertCommand(g *globals) *cobra.Command {
	var rf runFlags
	var name string
	cmd := &cobra.Command{
		Use:   "revert EXECUTION",
		Short: "Undo an earlier execution in reverse order",
		Long: `Revert creates a Revert DRPlanExecution for EXECUTION (an Execute that Succeeded, Failed, was
Canceled or ended Unknown) and runs it: the stages it completed, in reverse order of their
dependencies (stages that ran side by side are undone side by side); in each, the actions that
succeeded, last first, each with its custom rollback, or the automatic one (delete what was
created, if it is still the object the run created), or skipped with the reason. Reverting an
Unknown execution first ends it (Canceled), so that it can no longer be resumed.`,
		Example: `  drctl revert prod-failover-20261128-031500-a1b2 -n dr`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.newRunSession(cmd.Context(), &rf)
			if err != nil {
				return err
			}
			opts := engine.RevertOptions{Namespace: s.ns, Target: args[0], Name: name, LockTimeout: rf.lockTimeout,
				OnStart: func(e *v1alpha1.DRPlanExecution) {
					s.started(e, fmt.Sprintf("execution %s/%s started (revert of %s, plan %s): %s", e.Namespace, e.Name, args[0], e.Spec.PlanRef, revertSummary(e)))
				}}
			return s.run(cmd.Context(), func(ctx context.Context) (*engine.Result, error) { return s.eng.Revert(ctx, opts) })
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the Revert DRPlanExecution (default <execution>-revert-<yyyymmdd-hhmmss>-<random>)")
	rf.add(cmd)
	return cmd
}

// revertSummary says what a Revert will undo, in the order it will.
func revertSummary(e *v1alpha1.DRPlanExecution) string {
	var lines []string
	for i, ss := range e.Status.StageStatuses {
		labels := engine.WorkflowLabels(&e.Status.StageStatuses[i])
		for j, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				lines = append(lines, fmt.Sprintf("  undo %s/%s/%s", ss.Name, labels[j], a.Name))
			}
		}
	}
	return fmt.Sprintf("%d succeeded actions in %d stages to undo, in this order:\n%s", len(lines), len(e.Status.StageStatuses), strings.Join(lines, "\n"))
}

func newResumeCommand(g *globals) *cobra.Command {
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "resume EXECUTION",
		Short: "Continue an execution whose runner died or was cut off",
		Long: `Resume takes over a Running or Unknown execution once its runner's lock has expired and
continues it from its record: finished actions are never repeated; an action that was running is
attempted again (objects it created are adopted, an HTTP call is sent again). From then on the
record is the resuming runner's: the old runner, should it come back, writes nothing more.`,
		Example: `  drctl resume prod-failover-20261128-031500-a1b2 -n dr`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.newRunSession(cmd.Context(), &rf)
			if err != nil {
				return err
			}
			opts := engine.ResumeOptions{Namespace: s.ns, Execution: args[0], LockTimeout: rf.lockTimeout,
				OnStart: func(e *v1alpha1.DRPlanExecution) {
					s.started(e, fmt.Sprintf("execution %s/%s resumed (plan %s, progress %s)", e.Namespace, e.Name, e.Spec.PlanRef, e.Status.Progress))
				}}
			return s.run(cmd.Context(), func(ctx context.Context) (*engine.Result, error) { return s.eng.Resume(ctx, opts) })
		},
	}
	rf.add(cmd)
	return cmd
}

func newCancelCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel EXECUTION",
		Short: "Ask a running execution to stop safely",
		Long: `Cancel sets dr.bkbcs.tencent.com/cancel=true on the execution. Its runner, wherever it runs, starts
nothing new, lets running actions finish and marks the rest skipped; the execution ends Canceled.
A finished execution ignores the request. When no runner is alive, cancel records the end itself.`,
		Example: `  drctl cancel prod-failover-20261128-031500-a1b2 -n dr`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, ns, err := newEngine(cmd.Context(), g, nil)
			if err != nil {
				return err
			}
			res, err := eng.Cancel(cmd.Context(), ns, args[0])
			if err != nil {
				return finishRun(nil, nil, err)
			}
			fmt.Fprintln(g.streams.Out, res.Message)
			return nil
		},
	}
}
