// Package revert is `drctl revert`: it undoes an earlier execution, in reverse order, as a new
// Revert DRPlanExecution.
package revert

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// Options are the arguments and flags of drctl revert.
type Options struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory

	cmdutil.RunFlags
	// Target is the execution to undo; Name the Revert execution's name ("" for a generated one).
	Target, Name string
	cmdutil.OnFailureFlag
	// OnFailure is --on-failure, parsed.
	OnFailure v1alpha1.OnFailurePolicy
}

// NewCmdRevert builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdRevert(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "revert EXECUTION",
		Short: "Undo an earlier execution in reverse order",
		Long: `Revert creates a Revert DRPlanExecution for EXECUTION (an Execute that Succeeded, Failed, was
Canceled or ended Unknown) and runs it: the stages it completed, in reverse order of their
dependencies (stages that ran side by side are undone side by side); in each, the actions that
succeeded, last first, each with its custom rollback, or the automatic one (delete what was
created, if it is still the object the run created), or skipped with the reason. Reverting an
Unknown execution first ends it (Canceled), so that it can no longer be resumed.

On a terminal it first shows what it will undo and asks to go on (--yes does not ask; any answer
but yes changes nothing and exits 4); without a terminal it never asks.

Exit codes: 0 succeeded, 1 failed, 2 invalid (the execution cannot be reverted; nothing changed),
3 the plan is locked by another run, 4 canceled (or declined), 5 outcome unknown.`,
		Example:           `  drctl revert prod-failover-20261128-031500-a1b2 -n dr`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			var err error
			if opts.OnFailure, err = opts.OnFailureFlag.OnFailure(); err != nil {
				return err
			}
			if err := opts.RunFlags.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "name of the Revert DRPlanExecution (default <execution>-revert-<yyyymmdd-hhmmss>-<random>)")
	cmdutil.AddYesFlag(cmd, &opts.Yes)
	opts.AddRunFlags(cmd)
	opts.AddOnFailureFlag(cmd, "a rollback")
	return cmd
}

// Run reverts the target execution.
func Run(ctx context.Context, o *Options) error {
	s, err := cmdutil.NewRunSession(ctx, o.Factory, &o.RunFlags)
	if err != nil {
		return err
	}
	if !o.Yes && o.IO.CanPrompt() {
		c, _, err := o.Factory.KubeClient()
		if err != nil {
			return err
		}
		target, err := engine.ReadExecution(ctx, c, s.Namespace, o.Target)
		if apierrors.IsNotFound(err) {
			return cmdutil.Invalidf("DRPlanExecution %s/%s not found", s.Namespace, o.Target)
		} else if err != nil {
			return fmt.Errorf("read DRPlanExecution %s/%s: %w", s.Namespace, o.Target, err)
		}
		planned, err := engine.PlanRevert(target) // refused before anyone is asked
		if err != nil {
			return err
		}
		if err := cmdutil.Confirm(ctx, o.IO, o.Factory.Interrupts, tui.RevertSummary(target, planned)); err != nil {
			return err
		}
	}
	opts := engine.RevertOptions{Namespace: s.Namespace, Target: o.Target, Name: o.Name, LockTimeout: o.LockTimeout, OnFailure: o.OnFailure,
		OnStart: func(e *v1alpha1.DRPlanExecution) {
			s.Started(e, fmt.Sprintf("execution %s/%s started (revert of %s, plan %s): %s", e.Namespace, e.Name, o.Target, e.Spec.PlanRef, undoList(e)))
		}}
	return s.Run(ctx, func(ctx context.Context) (*engine.Result, error) { return s.Engine.Revert(ctx, opts) })
}

// undoList says what a Revert execution will undo, in the order it will.
func undoList(e *v1alpha1.DRPlanExecution) string {
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
