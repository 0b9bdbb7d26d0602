// Package status is `drctl status`: a plan's phase, its running execution and who holds its lock.
package status

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Options are the arguments of drctl status.
type Options struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	// Plan is the plan shown.
	Plan string
}

// NewCmdStatus builds the command; runF, when set, runs instead of Run once the arguments are
// checked.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, KubeClient: f.KubeClient}
	return &cobra.Command{
		Use:   "status PLAN",
		Short: "Show a plan's phase, its running execution and who holds its lock",
		Long: `Status shows a plan's phase, the execution it is running (if any), who holds the plan's lock and
until when, and its last successful execution. An unfinished execution that no live runner holds
is named, with what to do about it.`,
		Example:           `  drctl status prod-failover -n dr`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run reads the plan, its running execution and its Lease, and shows them.
func Run(ctx context.Context, o *Options) error {
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	v := &view{Namespace: ns, Plan: &v1alpha1.DRPlan{}}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.Plan}, v.Plan); err != nil {
		return fmt.Errorf("get DRPlan %s/%s: %w", ns, o.Plan, err)
	}
	if v.Lock, err = lease.Describe(ctx, c, lease.NewServerClock(), ns, lease.Name(o.Plan)); err != nil {
		return err
	}
	if cur := v.Plan.Status.CurrentExecution; cur != nil {
		exec := &v1alpha1.DRPlanExecution{}
		if c.Get(ctx, client.ObjectKey{Namespace: ns, Name: cur.Name}, exec) == nil {
			v.Running = exec
		}
	}
	v.write(o.IO.Out)
	return nil
}

// view is what status shows: the plan, its running execution (nil when there is none or it
// cannot be read) and its lock (nil when free).
type view struct {
	Namespace string
	Plan      *v1alpha1.DRPlan
	Running   *v1alpha1.DRPlanExecution
	Lock      *lease.Info
}

func (v *view) write(w io.Writer) {
	plan := v.Plan
	fmt.Fprintf(w, "Plan:            %s/%s\n", v.Namespace, plan.Name)
	fmt.Fprintf(w, "Phase:           %s\n", orNone(string(plan.Status.Phase)))
	blocking := "" // an unfinished execution with no live runner: no new run starts until it is dealt with
	if cur := plan.Status.CurrentExecution; cur != nil {
		phase := "unknown"
		if exec := v.Running; exec != nil {
			phase = fmt.Sprintf("%s, %s actions done", orNone(string(exec.Status.Phase)), orNone(exec.Status.Progress))
			if !v1alpha1.IsFinished(exec.Status.Phase) {
				blocking = fmt.Sprintf("%s (%s)", cur.Name, orNone(string(exec.Status.Phase)))
			}
		}
		fmt.Fprintf(w, "Running:         %s (%s)\n", cur.Name, phase)
		if exec := v.Running; exec != nil && !v1alpha1.IsFinished(exec.Status.Phase) {
			writeHold(w, exec)
		}
	} else {
		fmt.Fprintf(w, "Running:         <none>\n")
	}
	switch info := v.Lock; {
	case info == nil && blocking != "":
		fmt.Fprintf(w, "Lock:            free, but %s has no live runner and blocks new runs: resume, revert or cancel it\n", blocking)
	case info == nil:
		fmt.Fprintf(w, "Lock:            free\n")
	case info.Expired:
		fmt.Fprintf(w, "Lock:            expired (last held by %s); a resume may take it\n", info.Holder)
	default:
		fmt.Fprintf(w, "Lock:            held by %s, expires %s unless renewed\n", info.Holder, info.Expires.UTC().Format(time.RFC3339))
	}
	last := "<none>"
	if plan.Status.LastExecutionRef != "" {
		last = plan.Status.LastExecutionRef
		if t := plan.Status.LastExecutionTime; t != nil {
			last += " at " + t.UTC().Format(time.RFC3339)
		}
	}
	fmt.Fprintf(w, "Last succeeded:  %s\n", last)
}

// writeHold says what holds a running execution: a pause, and what waits for a decision.
func writeHold(w io.Writer, exec *v1alpha1.DRPlanExecution) {
	if c := meta.FindStatusCondition(exec.Status.Conditions, engine.ConditionPaused); c != nil && c.Status == metav1.ConditionTrue {
		fmt.Fprintf(w, "Paused:          %s (drctl continue %s)\n", c.Message, exec.Name)
	}
	for _, p := range exec.Status.Waiting {
		fmt.Fprintf(w, "Waiting:         %s waits for %s (drctl describe execution %s)\n", p.Step, engine.DecisionChoices(p.Kind), exec.Name)
	}
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
