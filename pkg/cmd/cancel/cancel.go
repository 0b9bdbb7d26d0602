// Package cancel is `drctl cancel`: it asks a running execution, wherever it runs, to stop
// safely.
package cancel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Options are the arguments of drctl cancel.
type Options struct {
	Factory *cmdutil.Factory
	// Execution is the execution to stop.
	Execution string
}

// NewCmdCancel builds the command; runF, when set, runs instead of Run once the arguments are
// checked.
func NewCmdCancel(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	return &cobra.Command{
		Use:   "cancel EXECUTION",
		Short: "Ask a running execution to stop safely",
		Long: `Cancel sets dr.bkbcs.tencent.com/cancel=true on the execution. Its runner, wherever it runs, starts
nothing new, lets running actions finish and marks the rest skipped; the execution ends Canceled.
A finished execution ignores the request. When no runner is alive, cancel records the end itself.`,
		Example:           `  drctl cancel prod-failover-20261128-031500-a1b2 -n dr`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Execution = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run asks the execution to stop and says what came of it.
func Run(ctx context.Context, o *Options) error {
	eng, ns, err := o.Factory.Engine(ctx, nil)
	if err != nil {
		return err
	}
	res, err := eng.Cancel(ctx, ns, o.Execution)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Factory.IOStreams.Out, res.Message)
	return nil
}
