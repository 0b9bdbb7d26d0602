package progress

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// SchemaVersion is the version of the JSON lines --progress json writes. It changes only when a
// field is removed or changes meaning; new fields and types may appear within a version.
const SchemaVersion = 1

// Record types of the JSON stream, beyond the node types of engine events (Execution, Stage,
// Workflow, Action, Retry, Waiting, Signal).
const (
	// TypeStarted is the first line: the run began, or a watch joined it.
	TypeStarted = "Started"
	// TypeFinished is the last line: how the run ended.
	TypeFinished = "Finished"
)

// Record is one line of --progress json.
type Record struct {
	Version   int    `json:"version"`
	Type      string `json:"type"`
	Time      string `json:"ts"`
	Execution string `json:"execution"`
	// Namespace, Plan and Operation are set on Started and Finished.
	Namespace string `json:"namespace,omitempty"`
	Plan      string `json:"plan,omitempty"`
	Operation string `json:"operation,omitempty"`
	// Stage, Workflow and Action name the node of an event ("" above it).
	Stage    string `json:"stage"`
	Workflow string `json:"workflow"`
	Action   string `json:"action"`
	// Step is the full name of the stage or action a Waiting or Signal record is about; a
	// Signal's phase is Applied or Refused.
	Step string `json:"step,omitempty"`
	// Decision is what a Waiting record waits for: Approval or Failure.
	Decision v1alpha1.DecisionKind `json:"decision,omitempty"`
	// Verb, By and Reason are a Signal record's: what was asked (Pause, Continue, Approve, Reject,
	// Retry, Skip), by whom, and why.
	Verb    v1alpha1.SignalVerb     `json:"verb,omitempty"`
	By      string                  `json:"by,omitempty"`
	Reason  string                  `json:"reason,omitempty"`
	Phase   v1alpha1.ExecutionPhase `json:"phase"`
	Attempt int                     `json:"attempt"`
	Message string                  `json:"message"`
	// Snapshot marks the node states a watch reports when it joins a run midway: where each
	// node stands, not a transition that just happened.
	Snapshot bool `json:"snapshot,omitempty"`
	// Succeeded, Failed, Skipped and Duration are set on Finished.
	Succeeded *int   `json:"succeeded,omitempty"`
	Failed    *int   `json:"failed,omitempty"`
	Skipped   *int   `json:"skipped,omitempty"`
	Duration  string `json:"duration,omitempty"`
}

// jsonLines writes one Record per line, and nothing else.
type jsonLines struct {
	mu  sync.Mutex
	enc *json.Encoder
	now func() time.Time
	// started is the run's Started record, once written.
	started *Record
}

func newJSON(w io.Writer) *jsonLines { return &jsonLines{enc: json.NewEncoder(w), now: time.Now} }

func (j *jsonLines) write(r Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r.Version = SchemaVersion
	if r.Time == "" {
		r.Time = j.now().UTC().Format(time.RFC3339Nano)
	}
	_ = j.enc.Encode(r)
}

func (j *jsonLines) Start(exec *v1alpha1.DRPlanExecution, headline string) {
	r := Record{Type: TypeStarted, Execution: exec.Name, Namespace: exec.Namespace, Plan: exec.Spec.PlanRef,
		Operation: string(exec.Spec.OperationType), Phase: exec.Status.Phase, Message: headline}
	j.mu.Lock()
	j.started = &r
	j.mu.Unlock()
	j.write(r)
}

// Abort ends a started stream with a Finished record that has no phase: the outcome is not
// known here (drctl describe execution tells it).
func (j *jsonLines) Abort(err error) {
	j.mu.Lock()
	started := j.started
	j.mu.Unlock()
	if started == nil {
		return
	}
	j.write(Record{Type: TypeFinished, Execution: started.Execution, Namespace: started.Namespace, Plan: started.Plan,
		Operation: started.Operation, Message: err.Error()})
}

// Snapshot writes one record per node of the run, as it stands.
func (j *jsonLines) Snapshot(exec *v1alpha1.DRPlanExecution) {
	tree := tui.NewTree(exec)
	j.write(Record{Type: string(engine.EventExecution), Execution: exec.Name, Phase: exec.Status.Phase, Message: exec.Status.Message, Snapshot: true})
	for _, n := range tree.Flatten() {
		r := Record{Type: string(n.Kind), Execution: exec.Name, Phase: n.Phase, Attempt: n.Attempts, Message: n.Message, Snapshot: true}
		r.Stage, r.Workflow, r.Action = n.Path()
		j.write(r)
	}
	// What holds the run as the watch joins it: the pause (its Signal), and what waits.
	if tree.Paused != "" {
		j.write(Record{Type: string(engine.EventSignal), Execution: exec.Name, Verb: v1alpha1.SignalPause, Phase: v1alpha1.SignalApplied,
			Message: tree.Paused, Snapshot: true})
	}
	for _, n := range tree.Waiting() {
		r := Record{Type: string(engine.EventWaiting), Execution: exec.Name, Step: n.Step(), Decision: n.Waiting, Phase: n.Phase, Message: n.WaitMessage, Snapshot: true}
		r.Stage, r.Workflow, r.Action = n.Path()
		j.write(r)
	}
}

func (j *jsonLines) Observe(e engine.Event) {
	r := Record{Type: string(e.Type), Time: e.Time.UTC().Format(time.RFC3339Nano), Execution: e.Execution,
		Stage: e.Stage, Workflow: e.Workflow, Action: e.Action, Step: e.Step, Decision: e.Decision, Phase: e.Phase, Attempt: e.Attempt, Message: e.Message}
	if s := e.Signal; s != nil {
		r.Verb, r.By, r.Reason = s.Verb, s.By, s.Reason
	}
	j.write(r)
}

func (j *jsonLines) Finish(res *engine.Result) {
	s := Summarize(res)
	j.write(Record{Type: TypeFinished, Execution: s.Execution, Namespace: s.Namespace, Plan: res.Execution.Spec.PlanRef,
		Operation: string(res.Execution.Spec.OperationType), Phase: s.Phase, Message: s.Message,
		Succeeded: &s.Succeeded, Failed: &s.Failed, Skipped: &s.Skipped, Duration: s.Duration})
}
