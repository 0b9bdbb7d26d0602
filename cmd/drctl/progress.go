package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Progress modes (--progress). The live terminal view arrives with pkg/tui; until then tty
// renders plain lines too.
const (
	progressAuto  = "auto"
	progressTTY   = "tty"
	progressPlain = "plain"
	progressJSON  = "json"
)

func checkProgress(mode string) error {
	switch mode {
	case progressAuto, progressTTY, progressPlain, progressJSON:
		return nil
	}
	return invalidInput("unknown --progress %q: want auto, tty, plain or json", mode)
}

// newProgress returns the observer that renders a run's events to w.
func newProgress(mode string, w io.Writer) engine.Observer {
	if mode == progressJSON {
		return &jsonProgress{enc: json.NewEncoder(w)}
	}
	return &plainProgress{w: w}
}

// plainProgress prints one timestamped line per transition, no escape codes: readable in CI logs.
type plainProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *plainProgress) Observe(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var node string
	switch e.Type {
	case engine.EventExecution:
		node = "execution " + e.Execution
	case engine.EventStage:
		node = "stage " + e.Stage
	case engine.EventWorkflow:
		node = "workflow " + e.Stage + "/" + e.Workflow
	case engine.EventAction, engine.EventRetry:
		node = "action " + e.Stage + "/" + e.Workflow + "/" + e.Action
	}
	phase := string(e.Phase)
	if e.Type == engine.EventRetry {
		phase = "Retrying"
	}
	line := fmt.Sprintf("%s %-9s %s", e.Time.UTC().Format(time.RFC3339), phase, node)
	if e.Attempt > 1 || e.Type == engine.EventRetry {
		line += fmt.Sprintf(" (attempt %d)", e.Attempt)
	}
	if e.Message != "" {
		line += ": " + strings.ReplaceAll(e.Message, "\n", " ")
	}
	fmt.Fprintln(p.w, iostreams.OneLine(line))
}

// jsonProgress prints one JSON object per event.
type jsonProgress struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (p *jsonProgress) Observe(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.enc.Encode(map[string]any{
		"ts": e.Time.UTC().Format(time.RFC3339Nano), "type": e.Type, "execution": e.Execution, "stage": e.Stage,
		"workflow": e.Workflow, "action": e.Action, "phase": e.Phase, "attempt": e.Attempt, "message": e.Message,
	})
}

// summary is the last line of a run: outcome, counts and duration.
func summary(res *engine.Result) string {
	exec := res.Execution
	var failed, skipped, succeeded int
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				switch a.Phase {
				case v1alpha1.PhaseSucceeded:
					succeeded++
				case v1alpha1.PhaseFailed, v1alpha1.PhaseCanceled:
					failed++
				case v1alpha1.PhaseSkipped:
					skipped++
				}
			}
		}
	}
	took := ""
	if st, ct := exec.Status.StartTime, exec.Status.CompletionTime; st != nil && ct != nil {
		took = " in " + ct.Sub(st.Time).Round(time.Millisecond).String()
	}
	line := fmt.Sprintf("execution %s %s%s: %d succeeded, %d failed, %d skipped", exec.Name, res.Phase, took, succeeded, failed, skipped)
	if res.Message != "" {
		line += "\n  " + res.Message
	}
	return line
}

// phaseExitCode maps how a run ended to the exit code.
func phaseExitCode(p v1alpha1.ExecutionPhase) int {
	switch p {
	case v1alpha1.PhaseSucceeded:
		return exitOK
	case v1alpha1.PhaseCanceled:
		return exitCanceled
	case v1alpha1.PhaseUnknown:
		return exitUnknown
	default:
		return exitFailed
	}
}
