package tui

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Node is a stage, a workflow or an action of a run, as the views show it.
type Node struct {
	Kind     engine.EventType
	Name     string
	Phase    v1alpha1.ExecutionPhase
	Started  time.Time
	Finished time.Time
	Attempts int
	Message  string
	Outputs  *v1alpha1.ActionOutputs
	// Rendered is the action as it ran, placeholders expanded (known for runs in this process).
	Rendered *v1alpha1.Action
	// After are the actions an action waits for, in a workflow whose actions run as a graph.
	After []string
	// Waiting is the operator's decision the node waits for ("" when none), and WaitMessage
	// what about.
	Waiting     v1alpha1.DecisionKind
	WaitMessage string
	Children    []*Node
	depth       int
	// stage and workflow place the node (for the events a diff produces).
	stage, workflow string
}

// Tree is the state of a run, built from the execution's layout and kept current by its events.
type Tree struct {
	Execution string
	Plan      string
	Operation string
	Phase     v1alpha1.ExecutionPhase
	Started   time.Time
	Finished  time.Time
	Message   string
	Stages    []*Node
	// Paused says who paused the run and why ("" when it is not paused).
	Paused string
	// Signals are the operator signals the run received, oldest first.
	Signals []v1alpha1.SignalRecord
	index   map[string]*Node
}

// NewTree lays out a run from its execution (as recorded when the run starts).
func NewTree(exec *v1alpha1.DRPlanExecution) *Tree {
	t := &Tree{Execution: exec.Name, Plan: exec.Spec.PlanRef, Operation: string(exec.Spec.OperationType),
		Phase: exec.Status.Phase, Message: exec.Status.Message, index: map[string]*Node{}}
	if st := exec.Status.StartTime; st != nil {
		t.Started = st.Time
	}
	if ct := exec.Status.CompletionTime; ct != nil {
		t.Finished = ct.Time
	}
	after := actionDependencies(exec)
	for i := range exec.Status.StageStatuses {
		ss := &exec.Status.StageStatuses[i]
		stage := &Node{Kind: engine.EventStage, Name: ss.Name, Phase: ss.Phase, Message: ss.Message, stage: ss.Name}
		setTimes(stage, ss.StartTime, ss.CompletionTime)
		t.index[ss.Name] = stage
		labels := engine.WorkflowLabels(ss)
		for j := range ss.WorkflowExecutions {
			we := &ss.WorkflowExecutions[j]
			label := labels[j]
			wf := &Node{Kind: engine.EventWorkflow, Name: label, Phase: we.Phase, Message: we.Message, depth: 1, stage: ss.Name, workflow: label}
			setTimes(wf, we.StartTime, we.CompletionTime)
			t.index[ss.Name+"/"+label] = wf
			for _, as := range we.ActionStatuses {
				a := &Node{Kind: engine.EventAction, Name: as.Name, Phase: as.Phase, Attempts: int(as.Attempts), Message: engine.ActionSummary(&as), Outputs: as.Outputs, depth: 2, stage: ss.Name, workflow: label,
					After: after.of(i, j, as.Name)}
				setTimes(a, as.StartTime, as.CompletionTime)
				t.index[ss.Name+"/"+label+"/"+as.Name] = a
				wf.Children = append(wf.Children, a)
			}
			stage.Children = append(stage.Children, wf)
		}
		t.Stages = append(t.Stages, stage)
	}
	t.Paused = pausedBy(exec)
	for _, w := range exec.Status.Waiting {
		if n := t.index[w.Step]; n != nil {
			n.Waiting, n.WaitMessage = w.Kind, w.Message
		}
	}
	t.Signals = append(t.Signals, exec.Status.Signals...)
	return t
}

// pausedBy is the Paused condition's message while it holds the run.
func pausedBy(exec *v1alpha1.DRPlanExecution) string {
	if !engine.Paused(exec) {
		return ""
	}
	for _, c := range exec.Status.Conditions {
		if c.Type == engine.ConditionPaused {
			return c.Message
		}
	}
	return ""
}

// dependencies are the dependsOn of each action of an Execute, by stage and workflow index.
type dependencies [][]map[string][]string

// of is what action name of workflow j of stage i waits for (nil when it runs in order).
func (d dependencies) of(i, j int, name string) []string {
	if i >= len(d) || j >= len(d[i]) {
		return nil
	}
	return d[i][j][name]
}

// actionDependencies reads them from the workflows as the run recorded them (nothing for a
// Revert, which undoes in reverse).
func actionDependencies(exec *v1alpha1.DRPlanExecution) dependencies {
	if exec.Spec.OperationType == v1alpha1.OperationRevert || exec.Spec.Mode == v1alpha1.ModeDelete {
		return nil // actions run one after another, last first
	}
	unpacked, err := engine.UnpackedStatus(exec)
	if err != nil {
		unpacked = exec // a snapshot is missing: show what the record has in place
	}
	out := make(dependencies, len(unpacked.Status.StageStatuses))
	for i, ss := range unpacked.Status.StageStatuses {
		out[i] = make([]map[string][]string, len(ss.WorkflowExecutions))
		for j, we := range ss.WorkflowExecutions {
			if we.WorkflowSpec == nil {
				continue
			}
			out[i][j] = map[string][]string{}
			for _, a := range we.WorkflowSpec.Actions {
				out[i][j][a.Name] = a.DependsOn
			}
		}
	}
	return out
}

func setTimes(n *Node, start, end *metav1.Time) {
	if start != nil {
		n.Started = start.Time
	}
	if end != nil {
		n.Finished = end.Time
	}
}

// Apply moves the tree on by one event.
func (t *Tree) Apply(e engine.Event) {
	switch e.Type {
	case engine.EventWaiting:
		if n := t.index[e.Step]; n != nil {
			n.Waiting, n.WaitMessage = e.Decision, e.Message
		}
		return
	case engine.EventSignal:
		if e.Signal != nil {
			t.applySignal(*e.Signal)
		}
		return
	}
	if e.Type == engine.EventExecution {
		t.Phase, t.Message = e.Phase, e.Message
		if e.Phase == v1alpha1.PhaseRunning && t.Started.IsZero() {
			t.Started = e.Time
		}
		if v1alpha1.IsFinished(e.Phase) || e.Phase == v1alpha1.PhaseUnknown {
			t.Finished = e.Time
		}
		if v1alpha1.IsFinished(e.Phase) { // nothing waits any more (an Unknown run may resume)
			for _, n := range t.Waiting() {
				n.Waiting, n.WaitMessage = "", ""
			}
		}
		return
	}
	key := e.Stage
	if e.Type != engine.EventStage {
		key += "/" + e.Workflow
	}
	if e.Type == engine.EventAction || e.Type == engine.EventRetry {
		key += "/" + e.Action
	}
	n := t.index[key]
	if n == nil {
		return
	}
	if e.Type == engine.EventRetry {
		n.Attempts, n.Message = e.Attempt, "retrying: "+e.Message
		return
	}
	n.Phase = e.Phase
	// A wait ends with the node's next step: a stage starts or fails (its gate decided, or timed
	// out), an action runs again or ends otherwise.
	if waitHolds := (n.Kind == engine.EventStage && e.Phase == v1alpha1.PhasePending) ||
		(n.Kind == engine.EventAction && e.Phase == v1alpha1.PhaseFailed); !waitHolds {
		n.Waiting, n.WaitMessage = "", ""
	}
	if e.Message != "" || v1alpha1.IsFinished(e.Phase) {
		n.Message = e.Message
	}
	if e.Attempt > 0 {
		n.Attempts = e.Attempt
	}
	if e.Outputs != nil {
		n.Outputs = e.Outputs
	}
	if e.Rendered != nil {
		n.Rendered = e.Rendered
	}
	switch {
	case e.Phase == v1alpha1.PhaseRunning && n.Started.IsZero():
		n.Started = e.Time
	case v1alpha1.IsFinished(e.Phase):
		n.Finished = e.Time
	}
}

// applySignal records a signal the run received, once, and what it changed: a pause, or a
// decision that ends a wait.
func (t *Tree) applySignal(s v1alpha1.SignalRecord) {
	for _, known := range t.Signals {
		if known.ID == s.ID {
			return
		}
	}
	t.Signals = append(t.Signals, s)
	if s.Result != v1alpha1.SignalApplied {
		return
	}
	switch s.Verb {
	case v1alpha1.SignalPause:
		t.Paused = "paused by " + s.By
		if s.Reason != "" {
			t.Paused += ": " + s.Reason
		}
	case v1alpha1.SignalContinue:
		t.Paused = ""
	default:
		if n := t.index[s.Step]; n != nil {
			n.Waiting, n.WaitMessage = "", ""
		}
	}
}

// Waiting lists the nodes waiting for an operator's decision, in display order.
func (t *Tree) Waiting() []*Node {
	var out []*Node
	for _, n := range t.Flatten() {
		if n.Waiting != "" {
			out = append(out, n)
		}
	}
	return out
}

// Step is the node's name in signals and the record: <stage>, or <stage>/<workflow>/<action>.
func (n *Node) Step() string {
	switch n.Kind {
	case engine.EventStage:
		return n.stage
	case engine.EventWorkflow:
		return n.stage + "/" + n.workflow
	}
	return n.stage + "/" + n.workflow + "/" + n.Name
}

// Progress counts finished actions and all actions.
func (t *Tree) Progress() (done, total int) {
	for _, s := range t.Stages {
		for _, w := range s.Children {
			for _, a := range w.Children {
				total++
				if v1alpha1.IsFinished(a.Phase) {
					done++
				}
			}
		}
	}
	return done, total
}

// Path names the node as the engine's events do: its stage, its workflow's label and its action,
// "" for the levels below it.
func (n *Node) Path() (stage, workflow, action string) {
	switch n.Kind {
	case engine.EventStage:
		return n.stage, "", ""
	case engine.EventWorkflow:
		return n.stage, n.workflow, ""
	}
	return n.stage, n.workflow, n.Name
}

// Flatten lists the nodes in display order: each stage, its workflows, their actions.
func (t *Tree) Flatten() []*Node {
	var out []*Node
	for _, s := range t.Stages {
		out = append(out, s)
		for _, w := range s.Children {
			out = append(out, w)
			out = append(out, w.Children...)
		}
	}
	return out
}

// Style is how the views draw: Unicode or ASCII glyphs.
type Style struct {
	ASCII bool
}

var spinnerUnicode = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
var spinnerASCII = []string{"|", "/", "-", "\\"}

// Icon is the glyph of a phase; frame animates Running.
func (s Style) Icon(p v1alpha1.ExecutionPhase, frame int) string {
	switch v1alpha1.NormalizePhase(p) {
	case v1alpha1.PhaseRunning:
		if s.ASCII {
			return spinnerASCII[frame%len(spinnerASCII)]
		}
		return spinnerUnicode[frame%len(spinnerUnicode)]
	case v1alpha1.PhaseSucceeded:
		return pick(s.ASCII, "+", "✓")
	case v1alpha1.PhaseFailed:
		return pick(s.ASCII, "x", "✗")
	case v1alpha1.PhaseSkipped:
		return pick(s.ASCII, "-", "–")
	case v1alpha1.PhaseCanceled:
		return pick(s.ASCII, "!", "⊘")
	case v1alpha1.PhaseUnknown:
		return "?"
	}
	return pick(s.ASCII, ".", "·")
}

func pick(ascii bool, a, u string) string {
	if ascii {
		return a
	}
	return u
}

// Elapsed is how long a node ran (or has been running at now).
func Elapsed(n *Node, now time.Time) string {
	if n.Started.IsZero() {
		return ""
	}
	end := n.Finished
	if end.IsZero() {
		end = now
	}
	return formatDuration(end.Sub(n.Started))
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// Line renders one node as a tree line of at most width columns: indent, icon, name, elapsed,
// retries and, for failures, the reason inline.
func (s Style) Line(n *Node, now time.Time, frame, width int) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", n.depth))
	b.WriteString(s.Icon(n.Phase, frame))
	b.WriteByte(' ')
	b.WriteString(n.Name)
	if len(n.After) > 0 {
		b.WriteString(" (after " + strings.Join(n.After, ", ") + ")")
	}
	if el := Elapsed(n, now); el != "" {
		b.WriteString("  " + el)
	}
	if n.Attempts > 1 {
		fmt.Fprintf(&b, "  (attempt %d)", n.Attempts)
	}
	switch {
	case n.Waiting == v1alpha1.DecisionApproval:
		b.WriteString("  waits for approval")
	case n.Waiting == v1alpha1.DecisionFailure:
		b.WriteString("  waits for a decision (retry, skip or reject)")
	}
	if n.Phase == v1alpha1.PhaseFailed && n.Message != "" {
		b.WriteString("  " + strings.ReplaceAll(n.Message, "\n", " "))
	}
	return truncate(b.String(), width)
}

// truncate fits a line of text into width, its control characters escaped: the live view writes
// straight to the terminal, and messages come from response bodies and other people's objects.
func truncate(s string, width int) string {
	r := []rune(iostreams.OneLine(s))
	if width > 0 && len(r) > width {
		if width <= 3 {
			return string(r[:width])
		}
		return string(r[:width-3]) + "..."
	}
	return string(r)
}

// RenderTree is the whole tree as text, one line per node: the final frame of a plain run and
// what the live view scrolls through.
func RenderTree(t *Tree, style Style, now time.Time, width int) string {
	var lines []string
	for _, n := range t.Flatten() {
		lines = append(lines, style.Line(n, now, 0, width))
	}
	return strings.Join(lines, "\n")
}
