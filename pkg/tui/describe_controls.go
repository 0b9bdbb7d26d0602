package tui

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// describeControlState writes the operator's hold on a run: a pause, and what it waits for.
func (d *describer) describeControlState(exec *v1alpha1.DRPlanExecution) {
	st := exec.Status
	if st.OnFailure == v1alpha1.OnFailureAsk {
		d.line(0, "On failure:\tAsk (a failed action waits for drctl retry, skip or reject)")
	}
	if c := meta.FindStatusCondition(st.Conditions, engine.ConditionPaused); c != nil && c.Status == metav1.ConditionTrue {
		d.line(0, "Paused:\t%s, %s ago (drctl continue %s)", c.Message, duration.HumanDuration(d.now.Sub(c.LastTransitionTime.Time)), exec.Name)
	}
	if sent := engine.UnreceivedSignals(exec); len(sent) > 0 && !v1alpha1.IsFinished(st.Phase) {
		d.line(0, "Sent, not yet received:")
		for _, s := range sent {
			d.line(1, "%s %s\tby %s, %s ago%s", s.Verb, s.Step, s.By, duration.HumanDuration(d.now.Sub(s.At.Time)), quoted(s.Reason))
		}
	}
	if len(st.Waiting) == 0 {
		return
	}
	d.line(0, "Waiting:")
	for _, w := range st.Waiting {
		deadline := ""
		switch {
		case w.Deadline != nil:
			deadline = fmt.Sprintf(", rejected unless decided by %s", w.Deadline.UTC().Format(time.RFC3339))
		case w.TimeLeft != "":
			deadline = fmt.Sprintf(", its timeout stopped by the pause with %s left", w.TimeLeft)
		}
		d.line(1, "%s\t%s for %s%s: %s", w.Step, waitingWhat(w.Kind), duration.HumanDuration(d.now.Sub(w.Since.Time)), deadline, oneLine(w.Message, 100))
		d.line(1, "\t%s", decisionCommands(exec.Name, w))
	}
}

// PhaseLabel is an execution's phase for tables, with the operator's hold on a running one, as
// kubectl shows a node "Ready,SchedulingDisabled": Running,Paused or Running,Waiting.
func PhaseLabel(exec *v1alpha1.DRPlanExecution) string {
	label := or(string(exec.Status.Phase), "<none>")
	if exec.Status.Phase != v1alpha1.PhaseRunning {
		return label
	}
	if engine.Paused(exec) {
		label += ",Paused"
	}
	if len(exec.Status.Waiting) > 0 {
		label += ",Waiting"
	}
	return label
}

func quoted(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(": %q", reason)
}

func waitingWhat(kind v1alpha1.DecisionKind) string {
	if kind == v1alpha1.DecisionApproval {
		return "waits for approval"
	}
	return "failed; waits for a decision"
}

// decisionCommands are the commands that answer a pending decision.
func decisionCommands(execution string, w v1alpha1.PendingDecision) string {
	if w.Kind == v1alpha1.DecisionApproval {
		return fmt.Sprintf("drctl approve %s %s | drctl reject %s %s --reason ...", execution, w.Step, execution, w.Step)
	}
	return fmt.Sprintf("drctl retry %s %s | drctl skip %[1]s %[2]s --reason ... | drctl reject %[1]s %[2]s --reason ...", execution, w.Step)
}

// describeSignals lists the operator signals the run received, oldest first.
func describeSignals(out io.Writer, signals []v1alpha1.SignalRecord, now time.Time) {
	if len(signals) == 0 {
		return
	}
	fmt.Fprintln(out, "Signals:")
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  SENT\tBY\tSIGNAL\tSTEP\tRESULT\tREASON\tMESSAGE")
	for _, s := range signals {
		fmt.Fprintf(tw, "  %s ago\t%s\t%s\t%s\t%s\t%s\t%s\n", duration.HumanDuration(now.Sub(s.At.Time)), s.By, s.Verb, or(s.Step, "-"), s.Result,
			or(oneLine(s.Reason, 60), "-"), oneLine(s.Message, 80))
	}
	_ = tw.Flush()
}
