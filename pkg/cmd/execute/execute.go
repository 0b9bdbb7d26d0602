// Package execute is `drctl execute`: it runs a DR plan stored in the cluster and records the run
// in a new DRPlanExecution, or with --dry-run prints every rendered action and creates nothing.
package execute

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
)

// Options are the arguments and flags of drctl execute.
type Options struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory

	cmdutil.RunFlags
	// Plan is the DRPlan to run; Name the DRPlanExecution's name ("" for a generated one).
	Plan, Name string
	cmdutil.PlanInputs
	cmdutil.OnFailureFlag
	// OnFailure is --on-failure, parsed.
	OnFailure v1alpha1.OnFailurePolicy
	DryRun    bool
	// CommandPath is how the user called the command ("drctl execute", "kubectl dr execute").
	CommandPath string
}

// NewCmdExecute builds the command; runF, when set, runs instead of Run once the flags are
// checked.
func NewCmdExecute(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "execute PLAN",
		Short: "Run a DR plan and record it in a new DRPlanExecution",
		Long: `Execute validates the plan and its workflows as stored in the cluster, takes the plan's lock
(a Lease), creates a DRPlanExecution and runs it to the end, printing every transition. The first
line names the execution, for drctl revert, cancel and resume.

On a terminal it first shows what the run will touch and asks to go on (--yes does not ask);
without a terminal it never asks.

Exit codes: 0 succeeded, 1 failed, 2 invalid plan or input (nothing changed), 3 the plan is locked
by another run, 4 canceled (or declined), 5 outcome unknown (API server unreachable, lock lost).`,
		Example: `  # Fail over, overriding a parameter
  drctl execute prod-failover -n dr -p targetCluster=cluster-b

  # See every rendered action and its rollback, creating nothing
  drctl execute prod-failover --dry-run

  # Machine-readable progress for a pipeline
  drctl execute prod-failover --progress json

  # Hold a failed action for a decision (drctl retry, skip or reject) instead of ending
  drctl execute prod-failover --on-failure ask`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan, opts.CommandPath = args[0], cmd.CommandPath()
			if err := opts.Complete(); err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.AddPlanInputFlags(cmd)
	cmd.Flags().StringVar(&opts.Name, "name", "", "name of the DRPlanExecution (default <plan>-<yyyymmdd-hhmmss>-<random>)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "render every action in order with its rollback, and create nothing")
	cmdutil.AddYesFlag(cmd, &opts.Yes)
	opts.AddRunFlags(cmd)
	opts.AddOnFailureFlag(cmd, "an action")
	return cmd
}

// Complete parses -p, --mode and --on-failure.
func (o *Options) Complete() (err error) {
	if o.OnFailure, err = o.OnFailureFlag.OnFailure(); err != nil {
		return err
	}
	return o.PlanInputs.Parse()
}

// Validate checks the flags together (exit code 2 when they are wrong).
func (o *Options) Validate() error {
	if o.DryRun && o.Progress == progress.JSON {
		return cmdutil.Invalidf("--dry-run prints the rendered actions as YAML; --progress json does not apply to it")
	}
	return o.RunFlags.Validate()
}

// Run runs the plan (or prints its dry run).
func Run(ctx context.Context, o *Options) error {
	if o.DryRun {
		o.Progress = progress.Plain // the dry run's YAML is all it prints
	}
	s, err := cmdutil.NewRunSession(ctx, o.Factory, &o.RunFlags)
	if err != nil {
		return err
	}
	opts := engine.ExecuteOptions{Plan: o.Plan, Name: o.Name, Namespace: s.Namespace, Params: o.Params, Mode: o.Mode,
		LockTimeout: o.LockTimeout, OnWarning: s.Warn, OnFailure: o.OnFailure}
	if o.DryRun {
		return printDryRun(ctx, o.IO.Out, s.Engine, opts)
	}
	if !o.Yes && o.IO.CanPrompt() {
		if err := cmdutil.ConfirmExecute(ctx, s, opts, o.CommandPath, ""); err != nil {
			return err
		}
		opts.OnWarning = nil // the summary has shown them
	}
	opts.OnStart = func(e *v1alpha1.DRPlanExecution) {
		s.Started(e, fmt.Sprintf("execution %s/%s started (plan %s)", e.Namespace, e.Name, e.Spec.PlanRef))
	}
	return s.Run(ctx, func(ctx context.Context) (*engine.Result, error) { return s.Engine.Execute(ctx, opts) })
}
