package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// plain prints one timestamped line per transition, no escape codes: readable in CI logs.
type plain struct {
	mu sync.Mutex
	w  io.Writer
}

func newPlain(w io.Writer) *plain { return &plain{w: w} }

func (p *plain) Start(_ *v1alpha1.DRPlanExecution, headline string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, headline)
}

func (p *plain) Snapshot(exec *v1alpha1.DRPlanExecution) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, tui.RenderTree(tui.NewTree(exec), tui.Style{ASCII: true}, time.Now(), 0))
}

func (p *plain) Observe(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	phase := string(e.Phase)
	switch e.Type {
	case engine.EventRetry:
		phase = "Retrying"
	case engine.EventWaiting, engine.EventSignal:
		phase = string(e.Type)
	}
	line := fmt.Sprintf("%s %-9s %s", e.Time.UTC().Format(time.RFC3339), phase, nodeName(e))
	if e.Attempt > 1 || e.Type == engine.EventRetry {
		line += fmt.Sprintf(" (attempt %d)", e.Attempt)
	}
	if e.Type == engine.EventWaiting {
		line += ": waits for " + engine.DecisionChoices(e.Decision)
	}
	if e.Message != "" {
		line += ": " + strings.ReplaceAll(e.Message, "\n", " ")
	}
	fmt.Fprintln(p.w, iostreams.OneLine(line))
}

func (p *plain) Finish(res *engine.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Summarize(res)
	line := fmt.Sprintf("execution %s %s", s.Execution, s.Phase)
	if s.Duration != "" {
		line += " in " + s.Duration
	}
	line += fmt.Sprintf(": %d succeeded, %d failed, %d skipped", s.Succeeded, s.Failed, s.Skipped)
	if s.Message != "" {
		line += "\n  " + s.Message
	}
	fmt.Fprintln(p.w, line)
}

// nodeName is how a plain line names the node of an event.
func nodeName(e engine.Event) string {
	switch e.Type {
	case engine.EventExecution:
		return "execution " + e.Execution
	case engine.EventStage:
		return "stage " + e.Stage
	case engine.EventWorkflow:
		return "workflow " + e.Stage + "/" + e.Workflow
	case engine.EventWaiting, engine.EventSignal:
		if e.Step == "" {
			return "execution " + e.Execution
		}
		return "step " + e.Step
	default:
		return "action " + e.Stage + "/" + e.Workflow + "/" + e.Action
	}
}

func (p *plain) Abort(error) {}
