package history

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// PruneOptions are the arguments and flags of drctl history prune.
type PruneOptions struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	Now        func() time.Time

	// Plan is the plan whose executions are pruned.
	Plan string
	// Keep is how many of the newest executions stay whatever their age; OlderThan, when set,
	// spares the younger ones too.
	Keep      int
	OlderThan time.Duration
	DryRun    bool
	Yes       bool
}

// NewCmdPrune builds the command; runF, when set, runs instead of RunPrune once the flags are
// checked.
func NewCmdPrune(f *cmdutil.Factory, runF func(context.Context, *PruneOptions) error) *cobra.Command {
	opts := &PruneOptions{IO: f.IOStreams, KubeClient: f.KubeClient, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "prune PLAN --keep N [--older-than DURATION]",
		Short: "Delete a plan's old executions, never one that is running or that a revert refers to",
		Long: `Prune deletes the executions of a plan beyond the newest --keep, and with --older-than only those
older than it. It never deletes an execution that has not ended (Pending, Running, Unknown: it may
still be resumed, reverted or canceled), the plan's last successful one, or one that a remaining
Revert execution refers to (revertExecutionRef). An execution's journal and parameters Secret
belong to it and go with it.

On a terminal it lists what it will delete and asks (--yes does not); without a terminal it never
asks. --dry-run lists and deletes nothing.`,
		Example: `  drctl history prune prod-failover --keep 20
  drctl history prune prod-failover --keep 5 --older-than 2160h --dry-run`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			if !cmd.Flags().Changed("keep") {
				return cmdutil.Invalidf("--keep is required: how many of the newest executions to keep (0 keeps only the protected ones)")
			}
			if opts.Keep < 0 || opts.OlderThan < 0 {
				return cmdutil.Invalidf("--keep %d, --older-than %s: want values of zero or more", opts.Keep, opts.OlderThan)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunPrune(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Keep, "keep", 0, "how many of the newest executions to keep, whatever their age (required)")
	cmd.Flags().DurationVar(&opts.OlderThan, "older-than", 0, "delete only executions created longer ago than this (e.g. 2160h)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be deleted, and delete nothing")
	cmdutil.AddYesFlag(cmd, &opts.Yes)
	return cmd
}

// Verdict is what prune decides for one execution.
type Verdict struct {
	Name string
	// Delete, or Why it stays.
	Delete bool
	Why    string
}

// Prunable decides, for every execution of plan, whether prune deletes it: newest first.
func Prunable(plan *v1alpha1.DRPlan, items []v1alpha1.DRPlanExecution, keep int, olderThan time.Duration, now time.Time) []Verdict {
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b v1alpha1.DRPlanExecution) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(b.Name, a.Name))
	})
	verdicts := make([]Verdict, len(items))
	deleted := map[string]bool{}
	for i, e := range items {
		v := Verdict{Name: e.Name}
		switch {
		case i < keep:
			v.Why = fmt.Sprintf("one of the newest %d", keep)
		case !v1alpha1.IsFinished(e.Status.Phase):
			v.Why = fmt.Sprintf("it has not ended (%s): it may still be resumed, reverted or canceled", orPending(e.Status.Phase))
		case plan != nil && plan.Status.LastExecutionRef == e.Name:
			v.Why = "the plan's last successful execution"
		case olderThan > 0 && now.Sub(e.CreationTimestamp.Time) < olderThan:
			v.Why = "younger than --older-than"
		default:
			v.Delete = true
			deleted[e.Name] = true
		}
		verdicts[i] = v
	}
	// A revert that stays keeps what it undid: its record names it, and a person reading the
	// revert needs the run it reverted. (Reverts are newer than their targets: one pass over the
	// kept reverts settles it.)
	for _, e := range items {
		if target := e.Spec.RevertExecutionRef; target != "" && !deleted[e.Name] && deleted[target] {
			deleted[target] = false
			for i := range verdicts {
				if verdicts[i].Name == target {
					verdicts[i] = Verdict{Name: target, Why: "the revert " + e.Name + " refers to it"}
				}
			}
		}
	}
	return verdicts
}

func orPending(p v1alpha1.ExecutionPhase) string {
	if p == "" {
		return "Pending"
	}
	return string(p)
}

// RunPrune lists the plan's executions, decides, asks on a terminal, and deletes.
func RunPrune(ctx context.Context, f *cmdutil.Factory, o *PruneOptions) error {
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	plan := &v1alpha1.DRPlan{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.Plan}, plan); apierrors.IsNotFound(err) {
		plan = nil // the plan is gone; its executions may still be pruned
	} else if err != nil {
		return fmt.Errorf("read DRPlan %s/%s: %w", ns, o.Plan, err)
	}
	decide := func() ([]Verdict, map[string]*v1alpha1.DRPlanExecution, error) {
		obj, err := cmdutil.ListKind(ctx, c, v1alpha1.KindDRPlanExecution, ns, "", PlanSelector(o.Plan))
		if err != nil {
			return nil, nil, err
		}
		items := obj.(*v1alpha1.DRPlanExecutionList).Items
		byName := map[string]*v1alpha1.DRPlanExecution{}
		for i := range items {
			byName[items[i].Name] = &items[i]
		}
		return Prunable(plan, items, o.Keep, o.OlderThan, o.Now()), byName, nil
	}
	verdicts, _, err := decide()
	if err != nil {
		return err
	}
	var doomed []string
	for _, v := range verdicts {
		if v.Delete {
			doomed = append(doomed, v.Name)
		}
	}
	if len(doomed) == 0 {
		fmt.Fprintf(o.IO.Out, "nothing to prune: %d executions of %s/%s, all kept\n", len(verdicts), ns, o.Plan)
		return nil
	}
	if o.DryRun {
		for _, v := range verdicts {
			if v.Delete {
				fmt.Fprintf(o.IO.Out, "would delete %s\n", v.Name)
			} else {
				fmt.Fprintf(o.IO.Out, "keep %s: %s\n", v.Name, v.Why)
			}
		}
		return nil
	}
	if !o.Yes && o.IO.CanPrompt() {
		summary := fmt.Sprintf("About to delete %d of the %d executions of %s/%s:\n  %s", len(doomed), len(verdicts), ns, o.Plan, strings.Join(doomed, "\n  "))
		if err := cmdutil.Confirm(ctx, o.IO, f.Interrupts, summary); err != nil {
			return err
		}
	}
	// Decided again now: a run or revert may have started while the question was asked. Each
	// delete holds only for the version decided on (a precondition).
	verdicts, current, err := decide()
	if err != nil {
		return err
	}
	deleted := 0
	for _, v := range verdicts {
		exec := current[v.Name]
		if !v.Delete || !slices.Contains(doomed, v.Name) {
			if slices.Contains(doomed, v.Name) {
				fmt.Fprintf(o.IO.Out, "kept %s: %s (it changed meanwhile)\n", v.Name, v.Why)
			}
			continue
		}
		uid, version := exec.UID, exec.ResourceVersion
		err := c.Delete(ctx, exec, client.Preconditions{UID: &uid, ResourceVersion: &version})
		switch {
		case apierrors.IsConflict(err):
			fmt.Fprintf(o.IO.Out, "kept %s: it changed since it was listed\n", v.Name)
			continue
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return fmt.Errorf("delete DRPlanExecution %s/%s: %w", ns, v.Name, err)
		}
		deleted++
		fmt.Fprintf(o.IO.Out, "drplanexecution.dr.bkbcs.tencent.com/%s deleted\n", v.Name)
	}
	fmt.Fprintf(o.IO.Out, "%d deleted, %d kept\n", deleted, len(verdicts)-deleted)
	return nil
}

// PlanSelector selects the executions of plan by the label drctl puts on them (a long plan name
// is shortened in labels, as engine.ExecutionLabels does).
func PlanSelector(plan string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{engine.LabelPlan: engine.ExecutionLabels(plan, v1alpha1.OperationExecute)[engine.LabelPlan]})
}
