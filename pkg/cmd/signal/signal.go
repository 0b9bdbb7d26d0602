// Package signal holds the operator's controls of a live run: drctl pause, continue, approve,
// reject, retry and skip. Each sends one signal to the execution (an annotation that its runner,
// wherever it runs, watches); the runner applies it and records who sent it, when and why.
package signal

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Options are the arguments and flags of a signal command.
type Options struct {
	Factory *cmdutil.Factory
	Verb    v1alpha1.SignalVerb
	// Execution is the execution signalled; Step the waiting stage or action ("" for the only one).
	Execution, Step string
	// Reason is why, kept in the execution's record.
	Reason string
}

// command describes one signal command.
type command struct {
	verb          v1alpha1.SignalVerb
	use, short    string
	long, example string
	// step: the command names the waiting step it decides; reason: --reason is required.
	step, reason bool
}

const exitCodes = `

Exit codes: 0 sent, 2 refused (the execution is not in a state where the signal makes sense; the
reason is printed) or invalid arguments.`

const stepHelp = `

STEP is the waiting stage, or the waiting action as <stage>/<workflow>/<action> or any ending of
that (<workflow>/<action>, <action>) that names one waiting step; without STEP, the only step
waiting for this decision. drctl describe execution lists what waits.`

var commands = map[v1alpha1.SignalVerb]command{
	v1alpha1.SignalPause: {verb: v1alpha1.SignalPause, use: "pause EXECUTION", short: "Hold a running execution: no new action starts until continue",
		long: `Pause asks the execution's runner, wherever it runs, to start no new action: running actions
finish, the rest waits. The execution stays Running, with the condition Paused=True naming who paused
it and why, and its runner keeps the plan's lock. drctl continue lets it go on.` + exitCodes,
		example: `  drctl pause prod-failover-20261128-031500-a1b2 --reason "replica lag above 30s"`},
	v1alpha1.SignalContinue: {verb: v1alpha1.SignalContinue, use: "continue EXECUTION", short: "Let a paused execution go on",
		long:    `Continue lets a paused execution start actions again.` + exitCodes,
		example: `  drctl continue prod-failover-20261128-031500-a1b2 --reason "lag back under 1s"`},
	v1alpha1.SignalApprove: {verb: v1alpha1.SignalApprove, use: "approve EXECUTION [STEP]", short: "Approve a stage that waits for approval", step: true,
		long:    `Approve lets a stage with an approval gate (spec.stages[].approval) start.` + stepHelp + exitCodes,
		example: `  drctl approve prod-failover-20261128-031500-a1b2 switch-traffic --reason "DB replica verified"`},
	v1alpha1.SignalReject: {verb: v1alpha1.SignalReject, use: "reject EXECUTION [STEP] --reason TEXT", short: "Reject a waiting stage, or let a held failed action fail", step: true, reason: true,
		long: `Reject answers a waiting step with no: a stage waiting for approval fails (its workflows are
skipped), and a failed action held for a decision (onFailure Ask) ends Failed. The run then goes on as
its failure policies say. A reason is required: it is kept in the execution's record.` + stepHelp + exitCodes,
		example: `  drctl reject prod-failover-20261128-031500-a1b2 switch-traffic --reason "replica 10 min behind"`},
	v1alpha1.SignalRetry: {verb: v1alpha1.SignalRetry, use: "retry EXECUTION [STEP]", short: "Run a held failed action again", step: true,
		long: `Retry runs again an action that failed and is held for a decision (a run with onFailure Ask, or
drctl execute --on-failure ask), with its retry policy afresh. Fix the cause first.` + stepHelp + exitCodes,
		example: `  drctl retry prod-failover-20261128-031500-a1b2 mysql-failover/promote-replica --reason "primary made writable"`},
	v1alpha1.SignalSkip: {verb: v1alpha1.SignalSkip, use: "skip EXECUTION [STEP] --reason TEXT", short: "Skip a held failed action and go on", step: true, reason: true,
		long: `Skip records a failed action held for a decision (onFailure Ask) as Skipped, with the reason,
and the run goes on as if it had not been needed. A revert does not undo a skipped action. A reason
is required: it is kept in the execution's record.` + stepHelp + exitCodes,
		example: `  drctl skip prod-failover-20261128-031500-a1b2 warm-cache --reason "cache warm-up not needed today"`},
}

// Verbs are the signal commands in the order help lists them.
var Verbs = []v1alpha1.SignalVerb{v1alpha1.SignalPause, v1alpha1.SignalContinue, v1alpha1.SignalApprove,
	v1alpha1.SignalReject, v1alpha1.SignalRetry, v1alpha1.SignalSkip}

// NewCmdSignal builds the command that sends verb; runF, when set, runs instead of Run once the
// arguments are checked.
func NewCmdSignal(f *cmdutil.Factory, verb v1alpha1.SignalVerb, runF func(context.Context, *Options) error) *cobra.Command {
	c := commands[verb]
	opts := &Options{Factory: f, Verb: verb}
	args := cmdutil.ExactArgs(1)
	if c.step {
		args = cmdutil.RangeArgs(1, 2)
	}
	cmd := &cobra.Command{
		Use:               c.use,
		Short:             c.short,
		Long:              c.long,
		Example:           c.example,
		Args:              args,
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Execution = args[0]
			if len(args) > 1 {
				opts.Step = args[1]
			}
			if c.reason && strings.TrimSpace(opts.Reason) == "" {
				return cmdutil.Invalidf("%s needs --reason: it is kept in the execution's record", cmd.Name())
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, in your words: kept in the execution's record with your name")
	return cmd
}

// Run sends the signal and says what it will do.
func Run(ctx context.Context, o *Options) error {
	eng, ns, err := o.Factory.Engine(ctx, nil)
	if err != nil {
		return err
	}
	res, err := eng.Signal(ctx, ns, o.Execution, engine.SignalRequest{Verb: o.Verb, Step: o.Step, Reason: o.Reason})
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Factory.IOStreams.Out, res.Message)
	return nil
}
