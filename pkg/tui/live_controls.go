package tui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// SignalFunc sends an operator signal to the run shown (engine.Engine.Signal) and says what it
// will do; an error says why it was refused.
type SignalFunc func(verb v1alpha1.SignalVerb, step, reason string) (string, error)

// controlKeys maps the live view's keys to the signals they send (p pauses or continues).
var controlKeys = map[string]v1alpha1.SignalVerb{
	"p": v1alpha1.SignalPause,
	"a": v1alpha1.SignalApprove,
	"r": v1alpha1.SignalRetry,
	"s": v1alpha1.SignalSkip,
	"x": v1alpha1.SignalReject,
}

// prompt is a signal about to be sent: the view asks for the reason first, which also makes a
// stray key harmless (esc sends nothing).
type prompt struct {
	verb   v1alpha1.SignalVerb
	step   string
	reason []rune
	// problem says why enter did not send it.
	problem string
}

// signalSentMsg is the outcome of sending a signal.
type signalSentMsg struct {
	message string
	err     error
}

// control starts a signal for the key pressed: it picks the step it applies to and asks for the
// reason.
func (m *Model) control(verb v1alpha1.SignalVerb) {
	if m.opts.Signal == nil {
		m.notice = fmt.Sprintf("read-only view: send it with drctl %s %s", strings.ToLower(string(verb)), m.tree.Execution)
		return
	}
	if v1alpha1.IsFinished(m.tree.Phase) || m.tree.Phase == v1alpha1.PhaseUnknown {
		m.notice = "the run has ended; it takes no signal"
		return
	}
	if verb == v1alpha1.SignalPause {
		if m.tree.Paused != "" {
			verb = v1alpha1.SignalContinue
		}
		m.prompt = &prompt{verb: verb}
		return
	}
	step, why := m.stepFor(verb)
	if step == "" {
		m.notice = why
		return
	}
	m.prompt = &prompt{verb: verb, step: step}
}

// stepFor is the waiting step a decision applies to: the selected node if it waits for this
// decision, else the only one that does.
func (m *Model) stepFor(verb v1alpha1.SignalVerb) (step, why string) {
	var candidates []*Node
	for _, n := range m.tree.Waiting() {
		if engine.Answers(verb, n.Waiting) {
			candidates = append(candidates, n)
		}
	}
	if nodes := m.tree.Flatten(); m.selected < len(nodes) {
		for _, n := range candidates {
			if n == nodes[m.selected] {
				return n.Step(), ""
			}
		}
	}
	switch len(candidates) {
	case 0:
		return "", fmt.Sprintf("nothing waits for %s", strings.ToLower(string(verb)))
	case 1:
		return candidates[0].Step(), ""
	}
	return "", fmt.Sprintf("%d steps wait for %s: select one with up/down", len(candidates), strings.ToLower(string(verb)))
}

// reasonRequired: skip and reject are kept on the record with their reason.
func reasonRequired(verb v1alpha1.SignalVerb) bool {
	return verb == v1alpha1.SignalSkip || verb == v1alpha1.SignalReject
}

// promptKey edits the reason; enter sends the signal, esc drops it.
func (m *Model) promptKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	p := m.prompt
	switch k.Type {
	case tea.KeyEsc, tea.KeyCtrlC:
		m.prompt = nil
		m.notice = strings.ToLower(string(p.verb)) + " not sent"
	case tea.KeyEnter:
		reason := strings.TrimSpace(string(p.reason))
		if reason == "" && reasonRequired(p.verb) {
			p.problem = "a " + strings.ToLower(string(p.verb)) + " needs a reason: it is kept in the execution's record"
			return m, nil
		}
		m.prompt = nil
		m.notice = "sending " + strings.ToLower(string(p.verb)) + "..."
		send := m.opts.Signal
		return m, func() tea.Msg {
			msg, err := send(p.verb, p.step, reason)
			return signalSentMsg{message: msg, err: err}
		}
	case tea.KeyBackspace:
		if len(p.reason) > 0 {
			p.reason = p.reason[:len(p.reason)-1]
		}
	case tea.KeySpace:
		p.reason = append(p.reason, ' ')
	case tea.KeyRunes:
		p.reason = append(p.reason, k.Runes...)
	}
	return m, nil
}

// promptLines is the footer while a signal waits for its reason.
func (p *prompt) lines(execution string, width int) []string {
	target := execution
	if p.step != "" {
		target = p.step
	}
	need := "optional"
	if reasonRequired(p.verb) {
		need = "required"
	}
	lines := []string{"", truncate(fmt.Sprintf("%s %s? Reason (%s), enter sends, esc cancels:", p.verb, target, need), width)}
	if p.problem != "" {
		lines = append(lines, truncate(p.problem, width))
	}
	return append(lines, truncate("> "+string(p.reason)+"_", width))
}

// controlLines are the header's lines about the operator's hold on the run: the pause, what
// waits for which keys, and the last signal received.
func (m *Model) controlLines(width int) []string {
	t := m.tree
	if v1alpha1.IsFinished(t.Phase) || t.Phase == v1alpha1.PhaseUnknown {
		return nil
	}
	var lines []string
	if t.Paused != "" {
		lines = append(lines, truncate("PAUSED: "+t.Paused+" · no action starts · p continue", width))
	}
	for i, n := range t.Waiting() {
		if i == maxWarningLines {
			lines = append(lines, fmt.Sprintf("(%d more waiting)", len(t.Waiting())-i))
			break
		}
		keys := "a approve · x reject"
		if n.Waiting == v1alpha1.DecisionFailure {
			keys = "r retry · s skip · x reject"
		}
		lines = append(lines, truncate(fmt.Sprintf("WAITING %s (%s): %s", n.Step(), keys, oneLineText(n.WaitMessage)), width))
	}
	if k := len(t.Signals); k > 0 {
		s := t.Signals[k-1]
		line := fmt.Sprintf("signal: %s %s by %s: %s", s.Verb, s.Step, s.By, strings.ToLower(s.Result))
		if s.Result == v1alpha1.SignalRefused {
			line += " (" + s.Message + ")"
		}
		if s.Reason != "" {
			line += fmt.Sprintf(" %q", s.Reason)
		}
		lines = append(lines, truncate(strings.Replace(line, "  ", " ", 1), width))
	}
	return lines
}

func oneLineText(s string) string { return strings.ReplaceAll(s, "\n", " ") }
