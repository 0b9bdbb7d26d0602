// Package drill is `drctl drill`: a plan executed and then always reverted (after a failure or
// Ctrl-C too), both executions linked by a label, with the recovery time per stage against an
// RTO and against the plan's earlier runs.
package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Options are the arguments and flags of drctl drill.
type Options struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	Now     func() time.Time

	cmdutil.RunFlags
	// Plan is the plan drilled, with the run's parameters (typically pointing at a standby).
	Plan string
	cmdutil.PlanInputs
	// RTO is the recovery time objective the execute is held to (0: none).
	RTO time.Duration
	// CommandPath is how the user called the command.
	CommandPath string
}

// NewCmdDrill builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdDrill(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "drill PLAN",
		Short: "Rehearse a plan: execute it, then always revert it, and measure the recovery",
		Long: `Drill executes the plan (typically with parameters that point at a standby) and then reverts it,
always: after a success, after a failure, and after Ctrl-C (the first cancels the execute, which
is then reverted; during the revert, one cancels the revert). Both executions carry the label
dr.bkbcs.tencent.com/drill=<drill ID>, so drctl get executions -l finds them together.

It reports the execute's recovery time, per stage, against --rto and against the plan's earlier
successful runs. On a terminal it first shows what the execute will touch and asks (--yes does
not).

Exit codes: 0 the execute succeeded within the RTO and the revert undid it; 1 the execute failed
or missed the RTO (reverted all the same), or the revert failed: then drill says exactly what is
left behind; 2 invalid input; 3 the plan is locked; 4 canceled (and reverted).`,
		Example: `  drctl drill prod-failover -n dr -p targetCluster=standby --rto 15m
  drctl drill prod-failover --progress plain --yes`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan, opts.CommandPath = args[0], cmd.CommandPath()
			if err := opts.PlanInputs.Parse(); err != nil {
				return err
			}
			if opts.RTO < 0 {
				return cmdutil.Invalidf("--rto %s: want a positive duration", opts.RTO)
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
	opts.AddPlanInputFlags(cmd)
	cmd.Flags().DurationVar(&opts.RTO, "rto", 0, "recovery time objective: the execute must end within it")
	cmdutil.AddYesFlag(cmd, &opts.Yes)
	opts.AddRunFlags(cmd)
	return cmd
}

// Run executes the plan, reverts it whatever happened, and reports.
func Run(ctx context.Context, o *Options) error {
	id := drillID(o.Now())
	labels := map[string]string{engine.LabelDrill: id}
	s, err := cmdutil.NewRunSession(ctx, o.Factory, &o.RunFlags)
	if err != nil {
		return err
	}
	opts := engine.ExecuteOptions{Plan: o.Plan, Namespace: s.Namespace, Params: o.Params, Mode: o.Mode,
		LockTimeout: o.LockTimeout, OnWarning: s.Warn, Labels: labels}
	if !o.Yes && o.IO.CanPrompt() {
		execute := strings.TrimSuffix(o.CommandPath, "drill") + "execute"
		if err := cmdutil.ConfirmExecute(ctx, s, opts, execute, "A drill reverts the execute when it ends, whatever its outcome.\n"); err != nil {
			return err
		}
		opts.OnWarning = nil // the summary has shown them
	}
	opts.OnStart = func(e *v1alpha1.DRPlanExecution) {
		s.Started(e, fmt.Sprintf("drill %s: execution %s/%s started (plan %s); a revert follows when it ends", id, e.Namespace, e.Name, e.Spec.PlanRef))
	}
	var executed *engine.Result
	execErr := s.Run(ctx, func(ctx context.Context) (*engine.Result, error) {
		res, err := s.Engine.Execute(ctx, opts)
		executed = res
		return res, err
	})
	if executed == nil || executed.Execution == nil {
		if name := s.Execution(); name != "" { // stopped hard: the execution is left Running
			return leftBehind(o.IO, name, fmt.Errorf("the execute was stopped before it ended (%w)", execErr))
		}
		return execErr // nothing was created: nothing to revert
	}
	target := executed.Execution.Name
	drain(o.Factory.Interrupts) // a Ctrl-C the execute already acted on must not cancel the revert

	r, err := cmdutil.NewRunSession(ctx, o.Factory, &o.RunFlags)
	if err != nil {
		return leftBehind(o.IO, target, err)
	}
	var reverted *engine.Result
	revertErr := r.Run(ctx, func(ctx context.Context) (*engine.Result, error) {
		res, err := r.Engine.Revert(ctx, engine.RevertOptions{Namespace: r.Namespace, Target: target, LockTimeout: o.LockTimeout, Labels: labels,
			OnStart: func(e *v1alpha1.DRPlanExecution) {
				r.Started(e, fmt.Sprintf("drill %s: execution %s/%s started (revert of %s)", id, e.Namespace, e.Name, target))
			}})
		reverted = res
		return res, err
	})
	report(o, r.Mode(), id, executed.Execution)
	what := ""
	if reverted != nil && reverted.Execution != nil {
		what = undone(reverted.Execution)
	}
	if revertErr != nil {
		return leftBehind(o.IO, target, fmt.Errorf("the revert did not complete (%w)%s", revertErr, what))
	}
	if what != "" { // rollbacks skipped: what those actions did stays
		fmt.Fprintf(o.IO.ErrOut, "drill %s: the revert ran; these actions have no rollback, so what they did stays:%s\n", id, what)
	}
	if execErr != nil {
		fmt.Fprintf(o.IO.ErrOut, "drill %s: the execute ended %s; the revert ran (%s)\n", id, executed.Phase, reverted.Phase)
		return execErr
	}
	if took := duration(executed.Execution); o.RTO > 0 && took > o.RTO {
		return fmt.Errorf("drill %s: the recovery took %s, over the RTO of %s (the revert ran all the same)", id, took.Round(time.Millisecond), o.RTO)
	}
	return nil
}

// leftBehind says what a drill could not undo, and how to finish the job by hand.
func leftBehind(io *iostreams.IOStreams, execution string, why error) error {
	fmt.Fprintf(io.ErrOut, "drill: %v\nleft behind: what execution %s did and no revert undid; finish with drctl revert %s (after drctl resume or drctl cancel if it has not ended)\n",
		why, execution, execution)
	return &cmdutil.ReportedError{Code: cmdutil.ExitFailed}
}

// drain discards the interrupts already delivered.
func drain(interrupts <-chan os.Signal) {
	for {
		select {
		case <-interrupts:
		default:
			return
		}
	}
}

// undone lists a revert's actions that did not succeed.
func undone(rev *v1alpha1.DRPlanExecution) string {
	out := ""
	for _, st := range rev.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				if a.Phase != v1alpha1.PhaseSucceeded {
					out += fmt.Sprintf("\n  not undone: %s/%s/%s (%s) %s", st.Name, w.WorkflowRef.Name, a.Name, or(string(a.Phase), "Pending"), a.Message)
				}
			}
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// drillID names a drill: when it started, and a random suffix (a label value).
func drillID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// duration is how long an execution ran.
func duration(e *v1alpha1.DRPlanExecution) time.Duration {
	if e.Status.StartTime == nil || e.Status.CompletionTime == nil {
		return 0
	}
	return e.Status.CompletionTime.Sub(e.Status.StartTime.Time)
}
