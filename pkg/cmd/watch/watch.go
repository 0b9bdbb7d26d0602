// Package watch is `drctl watch`: an execution's progress, as execute shows it, followed from its
// DRPlanExecution whoever runs it (another laptop, drctl serve); its live view sends the operator's
// controls.
package watch

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
	"github.com/drctl/drctl/pkg/tui"
)

// Options are the arguments and flags of drctl watch.
type Options struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	// Engine sends the live view's controls (pause, approve, retry...).
	Engine func(ctx context.Context, obs engine.Observer, tune ...func(*engine.Config)) (*engine.Engine, string, error)
	Now    func() time.Time

	// Execution is the execution followed; Progress the --progress flag.
	Execution, Progress string
}

// NewCmdWatch builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdWatch(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, KubeClient: f.KubeClient, Engine: f.Engine, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "watch EXECUTION",
		Short: "Follow an execution run by any runner until it ends, and steer it",
		Long: `Watch shows an execution's progress as execute does — the live view on a terminal, plain or JSON
lines otherwise — by watching its DRPlanExecution, whoever runs it: another laptop, or drctl
serve. It exits when the execution ends, with its exit code (0 succeeded, 1 failed, 4 canceled,
5 unknown).

The live view sends the operator's controls to the run's runner, as drctl pause, continue,
approve, reject, retry and skip do: p pauses or continues, a approves, r retries, s skips, x
rejects; each asks for a reason first. Cancel it with drctl cancel.`,
		Example: `  drctl watch prod-failover-20261128-031500-a1b2 -n dr
  drctl watch prod-failover-20261128-031500-a1b2 --progress json`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Execution = args[0]
			if err := cmdutil.CheckProgress(opts.Progress); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddProgressFlag(cmd, &opts.Progress)
	return cmd
}

// Run follows the execution until it ends (or the live view is closed); the error says how it
// ended, for the exit code.
func Run(ctx context.Context, o *Options) error {
	mode := cmdutil.ResolveProgress(o.IO, o.Progress)
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	exec := &v1alpha1.DRPlanExecution{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.Execution}, exec); err != nil {
		return fmt.Errorf("get DRPlanExecution %s/%s: %w", ns, o.Execution, err)
	}
	render := progress.New(mode, o.IO.Out)
	if progress.Ended(exec) { // its final frame at once
		if mode == progress.JSON {
			render.Start(exec, fmt.Sprintf("execution %s/%s has ended", ns, o.Execution))
			render.Snapshot(exec)
		} else {
			fmt.Fprintln(o.IO.Out, tui.RenderTree(tui.NewTree(exec), tui.Style{}, o.Now(), 0))
		}
		return cmdutil.FinishRun(render, result(exec), nil)
	}
	render.Start(exec, fmt.Sprintf("watching execution %s/%s (plan %s, %s)", ns, o.Execution, exec.Spec.PlanRef, exec.Spec.OperationType))

	var observer engine.Observer = render
	var view *tui.LiveView
	detached := func() bool { return false }
	if mode == progress.TTY {
		buf := &tui.Buffer{}
		observer = buf
		opts := tui.ViewOptions{Color: !o.IO.NoColor}
		if o.Engine != nil {
			eng, _, err := o.Engine(ctx, nil)
			if err != nil {
				return err
			}
			opts.Signal = cmdutil.SignalSender(eng, ns, o.Execution)
		}
		view = tui.StartLiveView(o.IO, tui.NewModel(tui.NewTree(exec), buf, opts), "")
		detached = view.Detached
	} else {
		render.Snapshot(exec) // where the run stands as the watch joins it
	}
	final, err := progress.Follow(ctx, c, exec, observer, detached)
	if view != nil {
		view.Close()
	}
	switch {
	case err != nil: // in JSON still a last Finished record, without a phase
		return cmdutil.FinishRun(render, nil, err)
	case final == nil: // the view was closed
		fmt.Fprintf(o.IO.ErrOut, "stopped watching %s; it goes on wherever it runs (drctl watch %s follows it again)\n", o.Execution, o.Execution)
		return nil
	}
	return cmdutil.FinishRun(render, result(final), nil)
}

func result(e *v1alpha1.DRPlanExecution) *engine.Result {
	return &engine.Result{Execution: e, Phase: e.Status.Phase, Message: e.Status.Message}
}
