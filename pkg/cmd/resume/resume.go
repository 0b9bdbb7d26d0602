// Package resume is `drctl resume`: it takes over an execution whose runner died or was cut off
// and continues it from its record.
package resume

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Options are the arguments and flags of drctl resume.
type Options struct {
	Factory *cmdutil.Factory

	cmdutil.RunFlags
	// Execution is the execution to continue.
	Execution string
}

// NewCmdResume builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdResume(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "resume EXECUTION",
		Short: "Continue an execution whose runner died or was cut off",
		Long: `Resume takes over a Running or Unknown execution once its runner's lock has expired and
continues it from its record: finished actions are never repeated; an action that was running is
attempted again (objects it created are adopted, an HTTP call is sent again). From then on the
record is the resuming runner's: the old runner, should it come back, writes nothing more.

Resume does not ask for confirmation: the run was confirmed when it started.`,
		Example:           `  drctl resume prod-failover-20261128-031500-a1b2 -n dr`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Execution = args[0]
			if err := opts.RunFlags.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.AddRunFlags(cmd)
	return cmd
}

// Run resumes the execution.
func Run(ctx context.Context, o *Options) error {
	s, err := cmdutil.NewRunSession(ctx, o.Factory, &o.RunFlags)
	if err != nil {
		return err
	}
	opts := engine.ResumeOptions{Namespace: s.Namespace, Execution: o.Execution, LockTimeout: o.LockTimeout,
		OnStart: func(e *v1alpha1.DRPlanExecution) {
			s.Started(e, fmt.Sprintf("execution %s/%s resumed (plan %s, progress %s)", e.Namespace, e.Name, e.Spec.PlanRef, e.Status.Progress))
		}}
	return s.Run(ctx, func(ctx context.Context) (*engine.Result, error) { return s.Engine.Resume(ctx, opts) })
}
