package tui

import (
	"errors"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

type sentSignal struct {
	verb         v1alpha1.SignalVerb
	step, reason string
}

// controlledModel is a live view whose signals are recorded (and refused while refuse is set).
func controlledModel(t *testing.T) (*Model, *[]sentSignal, *error) {
	t.Helper()
	var sent []sentSignal
	var refuse error
	m := NewModel(NewTree(layout()), &Buffer{}, ViewOptions{Style: Style{ASCII: true}, Now: func() time.Time { return t0.Add(5 * time.Second) },
		Signal: func(verb v1alpha1.SignalVerb, step, reason string) (string, error) {
			if refuse != nil {
				return "", refuse
			}
			sent = append(sent, sentSignal{verb, step, reason})
			return string(verb) + " sent", nil
		}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m, &sent, &refuse
}

// press sends keys to the model, running what a key starts (a signal being sent).
func press(m *Model, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case " ":
			msg = tea.KeyMsg{Type: tea.KeySpace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		if _, cmd := m.Update(msg); cmd != nil {
			m.Update(cmd())
		}
	}
}

func feed(m *Model, events ...engine.Event) {
	for _, e := range events {
		m.buf.Observe(e)
	}
	m.Update(tickMsg{})
}

func TestTheLiveViewShowsAndSendsEachControl(t *testing.T) {
	m, sent, refuse := controlledModel(t)

	// p asks for a reason, then pauses.
	press(m, "p")
	assert.Contains(t, m.View(), "Pause prod-failover-1? Reason (optional), enter sends, esc cancels:")
	press(m, "l", "a", "g", "enter")
	assert.Equal(t, []sentSignal{{v1alpha1.SignalPause, "", "lag"}}, *sent)
	assert.Contains(t, m.View(), "Pause sent")

	// The runner applies it: the view says so, and p now continues (esc sends nothing).
	pause := v1alpha1.SignalRecord{ID: "1", Verb: v1alpha1.SignalPause, By: "alice", Reason: "lag", Result: v1alpha1.SignalApplied}
	feed(m, engine.Event{Type: engine.EventSignal, Signal: &pause})
	assert.Contains(t, m.View(), "PAUSED: paused by alice: lag · no action starts · p continue")
	assert.Contains(t, m.View(), "signal: Pause by alice: applied")
	press(m, "p")
	assert.Contains(t, m.View(), "Continue prod-failover-1?")
	press(m, "esc")
	assert.Contains(t, m.View(), "continue not sent")
	assert.Len(t, *sent, 1)

	// Nothing waits for a retry yet; a stage waits for approval: a approves it.
	press(m, "r")
	assert.Contains(t, m.View(), "nothing waits for retry")
	feed(m, engine.Event{Type: engine.EventWaiting, Step: "infra", Decision: v1alpha1.DecisionApproval, Message: "check the replica"})
	assert.Contains(t, m.View(), "WAITING infra (a approve · x reject): check the replica")
	assert.Contains(t, m.View(), "infra  waits for approval")
	press(m, "a", "enter")
	assert.Equal(t, sentSignal{v1alpha1.SignalApprove, "infra", ""}, (*sent)[1])

	// A failed action waits too: skip needs a reason; with two steps waiting, reject needs the
	// selected one.
	feed(m, engine.Event{Type: engine.EventWaiting, Step: "infra/redis/failover", Decision: v1alpha1.DecisionFailure, Message: "500"})
	assert.Contains(t, m.View(), "WAITING infra/redis/failover (r retry · s skip · x reject): 500")
	press(m, "s", "enter")
	assert.Contains(t, m.View(), "a skip needs a reason")
	press(m, "n", "o", "t", " ", "n", "e", "e", "d", "e", "d", "enter")
	assert.Equal(t, sentSignal{v1alpha1.SignalSkip, "infra/redis/failover", "not needed"}, (*sent)[2])
	press(m, "x")
	assert.Contains(t, m.View(), "2 steps wait for reject: select one with up/down")
	press(m, "down", "down", "down", "down", "down", "down", "down", "down") // infra/redis/failover
	press(m, "x", "n", "o", "enter")
	assert.Equal(t, sentSignal{v1alpha1.SignalReject, "infra/redis/failover", "no"}, (*sent)[3])
	press(m, "r", "enter")
	assert.Equal(t, sentSignal{v1alpha1.SignalRetry, "infra/redis/failover", ""}, (*sent)[4])

	// A refusal is shown with its reason; an applied decision ends the wait in the view.
	*refuse = errors.New("infra/redis/failover is already decided")
	press(m, "r", "enter")
	assert.Contains(t, m.View(), "refused: infra/redis/failover is already decided")
	retry := v1alpha1.SignalRecord{ID: "2", Verb: v1alpha1.SignalRetry, Step: "infra/redis/failover", By: "bob", Result: v1alpha1.SignalApplied}
	feed(m, engine.Event{Type: engine.EventSignal, Step: retry.Step, Signal: &retry})
	assert.NotContains(t, m.View(), "WAITING infra/redis/failover")
	assert.Contains(t, m.View(), "signal: Retry infra/redis/failover by bob: applied")

	// A gate that times out ends its wait with the stage's failure, with no signal.
	require.Contains(t, m.View(), "WAITING infra (")
	feed(m, ev(9, engine.EventStage, "infra", "", "", v1alpha1.PhaseFailed, 0, "approval not given within 1s"))
	assert.NotContains(t, m.View(), "WAITING infra (")
	assert.NotContains(t, m.View(), "waits for approval")

	// Once the run has ended, it takes no signal.
	feed(m, engine.Event{Type: engine.EventExecution, Phase: v1alpha1.PhaseSucceeded})
	press(m, "p")
	assert.Contains(t, m.View(), "the run has ended; it takes no signal")
}

func TestAViewWithoutSignalsNamesTheCommand(t *testing.T) {
	m := NewModel(NewTree(layout()), &Buffer{}, ViewOptions{Style: Style{ASCII: true}})
	press(m, "p")
	assert.Contains(t, m.View(), "read-only view: send it with drctl pause prod-failover-1")
}

func TestControlsGolden(t *testing.T) {
	m, _, _ := controlledModel(t)
	m.Update(tea.WindowSizeMsg{Width: 90, Height: 24})
	pause := v1alpha1.SignalRecord{ID: "1", Verb: v1alpha1.SignalPause, By: "alice", Reason: "replica lag", Result: v1alpha1.SignalApplied}
	events := append(midRun(),
		engine.Event{Type: engine.EventWaiting, Step: "infra/redis/failover", Decision: v1alpha1.DecisionFailure, Message: "job dr/x failed: BackoffLimitExceeded"},
		engine.Event{Type: engine.EventSignal, Signal: &pause})
	feed(m, events...)
	press(m, "s")
	require.Contains(t, m.View(), "Skip infra/redis/failover?")
	golden(t, "controls", m.View())
}

// Esc closes what is open over the view before it closes the view.
func TestEscClosesHelpBeforeTheView(t *testing.T) {
	m := NewModel(NewTree(layout()), &Buffer{}, ViewOptions{Style: Style{ASCII: true}})
	press(m, "?")
	require.Contains(t, m.View(), "stop watching; the run goes on wherever it runs", "a watch's help says what q does there")
	press(m, "esc")
	assert.NotContains(t, m.View(), "this help")
	assert.False(t, m.Detached)
	press(m, "r") // a notice
	press(m, "esc")
	assert.False(t, m.Detached)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	require.NotNil(t, cmd)
	assert.True(t, m.Detached)
}
