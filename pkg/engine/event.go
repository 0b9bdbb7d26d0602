package engine

import (
	"sync"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// EventType says what happened.
type EventType string

// Event types: a node (execution, stage, workflow, action) changed phase, or an action is retried.
const (
	EventExecution EventType = "Execution"
	EventStage     EventType = "Stage"
	EventWorkflow  EventType = "Workflow"
	EventAction    EventType = "Action"
	EventRetry     EventType = "Retry"
	// EventWaiting: a stage or an action waits for an operator's decision (Step names it).
	EventWaiting EventType = "Waiting"
	// EventSignal: the runner received an operator signal; Phase is Applied or Refused.
	EventSignal EventType = "Signal"
)

// Event is one transition of a run, as every progress view and the tests see it.
type Event struct {
	Time      time.Time
	Type      EventType
	Execution string
	Stage     string
	Workflow  string
	Action    string
	// Step is the full name of the stage or action a Waiting or Signal event is about.
	Step  string
	Phase v1alpha1.ExecutionPhase
	// Attempt is the action's attempt number (actions and retries only).
	Attempt int
	Message string
	// Outputs are a finished action's outputs (action events only).
	Outputs *v1alpha1.ActionOutputs
	// Rendered is the action as it runs, placeholders expanded (an action's Running events only).
	Rendered *v1alpha1.Action
	// Decision is what a Waiting event waits for: an approval, or a decision on a failure.
	Decision v1alpha1.DecisionKind
	// Signal is the signal a Signal event reports, as recorded.
	Signal *v1alpha1.SignalRecord
}

// Observer receives the events of a run in order. It must not block for long.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f.
func (f ObserverFunc) Observe(e Event) { f(e) }

// Recording is an Observer that keeps every event (for tests and summaries).
type Recording struct {
	mu     sync.Mutex
	events []Event
}

// Observe records e.
func (r *Recording) Observe(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events so far.
func (r *Recording) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}
