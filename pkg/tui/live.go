package tui

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// Buffer collects a run's events for the live view: it is the engine's Observer, and the view
// drains it on every frame, so a burst of events costs one redraw.
type Buffer struct {
	mu       sync.Mutex
	events   []engine.Event
	warnings []string
}

// Warn keeps a warning about the run for the next frame: the view shows it, since a line written
// to the terminal beside the view would be drawn over.
func (b *Buffer) Warn(message string) {
	b.mu.Lock()
	b.warnings = append(b.warnings, message)
	b.mu.Unlock()
}

// Observe keeps e for the next frame.
func (b *Buffer) Observe(e engine.Event) {
	b.mu.Lock()
	b.events = append(b.events, e)
	b.mu.Unlock()
}

// TakeWarnings returns the warnings no view has shown, and forgets them.
func (b *Buffer) TakeWarnings() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.warnings
	b.warnings = nil
	return w
}

func (b *Buffer) drain() ([]engine.Event, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	events, warnings := b.events, b.warnings
	b.events, b.warnings = nil, nil
	return events, warnings
}

// ViewOptions configure the live view.
type ViewOptions struct {
	Style Style
	// Color enables colors (off with NO_COLOR or a dumb terminal).
	Color bool
	// LockHolder names who holds the plan's lock (this run).
	LockHolder string
	// ETA is how long the plan's last successful run took; zero when there is none.
	ETA time.Duration
	// Cancel asks the run to stop gracefully; HardStop ends this process's run at once. Both nil
	// make the view read-only for cancel (drctl watch): it shows how to cancel instead.
	Cancel, HardStop func()
	// Signal sends the operator's controls (pause, continue, approve, reject, retry, skip); nil
	// makes the view show the commands instead.
	Signal SignalFunc
	// Now is the clock (fixed in tests).
	Now func() time.Time
}

// maxWarningLines is how many warnings the header shows; it counts the rest, so the tree keeps
// the screen.
const maxWarningLines = 3

// frameInterval paces redraws: at most 20 a second, however many events arrive.
const frameInterval = 50 * time.Millisecond

type tickMsg struct{}

// DoneMsg tells the view the run has ended; it shows the final frame and closes.
type DoneMsg struct{}

// Model is the live view of a run: a header, the stage → workflow → action tree with the
// selected node, a detail pane for it, and a footer of keys.
type Model struct {
	tree     *Tree
	buf      *Buffer
	opts     ViewOptions
	width    int
	height   int
	selected int
	detail   bool
	help     bool
	confirm  bool
	frame    int
	notice   string
	// prompt is a signal waiting for its reason before it is sent.
	prompt *prompt
	// warnings are the run's warnings, shown in the header (the first maxWarningLines).
	warnings []string
	// Detached is true when the user closed the view before the run ended.
	Detached bool
	done     bool
	cancels  int
}

// NewModel returns the view of tree, fed by buf.
func NewModel(tree *Tree, buf *Buffer, opts ViewOptions) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Model{tree: tree, buf: buf, opts: opts, width: 80, height: 24}
}

func tick() tea.Cmd {
	return tea.Tick(frameInterval, func(time.Time) tea.Msg { return tickMsg{} })
}

// Init starts the frame clock.
func (m *Model) Init() tea.Cmd { return tick() }

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.apply()
		m.frame++
		return m, tick()
	case DoneMsg:
		m.apply()
		m.done = true
		return m, tea.Quit
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyMsg:
		if m.prompt != nil {
			return m.promptKey(msg)
		}
		return m.key(msg)
	case signalSentMsg:
		m.notice = msg.message
		if msg.err != nil {
			m.notice = "refused: " + msg.err.Error()
		}
		return m, nil
	}
	return m, nil
}

func (m *Model) apply() {
	events, warnings := m.buf.drain()
	for _, e := range events {
		m.tree.Apply(e)
	}
	m.warnings = append(m.warnings, warnings...)
}

func (m *Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.confirm {
		switch k.String() {
		case "y", "Y":
			m.confirm = false
			m.requestCancel()
		default:
			m.confirm = false
			m.notice = "cancel not requested"
		}
		return m, nil
	}
	n := len(m.tree.Flatten())
	switch k.String() {
	case "up", "k":
		if m.selected > 0 {
			m.selected--
		}
	case "down", "j":
		if m.selected < n-1 {
			m.selected++
		}
	case "home", "g":
		m.selected = 0
	case "end", "G":
		m.selected = n - 1
	case "enter":
		m.detail = !m.detail
	case "?":
		m.help = !m.help
	case "c":
		if m.opts.Cancel == nil {
			m.notice = "read-only view: cancel with drctl cancel " + m.tree.Execution
			return m, nil
		}
		m.confirm = true
	case "ctrl+c":
		if m.opts.Cancel == nil {
			m.Detached = true
			return m, tea.Quit
		}
		m.cancels++
		if m.cancels > 1 {
			if m.opts.HardStop != nil {
				m.opts.HardStop()
			}
			m.Detached = true
			return m, tea.Quit
		}
		m.requestCancel()
	case "esc":
		// Esc closes what is open over the view first; only then the view.
		switch {
		case m.help:
			m.help = false
		case m.detail:
			m.detail = false
		case m.notice != "":
			m.notice = ""
		default:
			m.Detached = true
			return m, tea.Quit
		}
	case "q":
		m.Detached = true
		return m, tea.Quit
	default:
		if verb, ok := controlKeys[k.String()]; ok {
			m.control(verb)
		}
	}
	return m, nil
}

func (m *Model) requestCancel() {
	if m.opts.Cancel != nil {
		m.opts.Cancel()
	}
	m.notice = "cancel requested: running actions finish, the rest are skipped (ctrl+c again stops at once)"
}

// View draws the screen: only the lines that fit.
func (m *Model) View() string {
	now := m.opts.Now()
	width := max(m.width, 20)
	header := m.header(now, width)
	footer := m.footer(width)
	var detail []string
	nodes := m.tree.Flatten()
	if m.selected >= len(nodes) {
		m.selected = max(len(nodes)-1, 0)
	}
	if m.detail && len(nodes) > 0 {
		detail = m.detailPane(nodes[m.selected], width)
	}
	if m.help {
		detail = helpLines(m.opts.Cancel == nil)
	}
	room := m.height - len(header) - len(footer) - len(detail)
	room = max(room, 1)
	start := 0
	if m.selected >= room {
		start = m.selected - room + 1
	}
	end := min(start+room, len(nodes))
	lines := append([]string{}, header...)
	for i := start; i < end; i++ {
		line := m.opts.Style.Line(nodes[i], now, m.frame, width-2)
		prefix := "  "
		if i == m.selected {
			prefix = "> "
		}
		lines = append(lines, prefix+m.color(nodes[i].Phase, line))
	}
	lines = append(lines, detail...)
	lines = append(lines, footer...)
	return strings.Join(lines, "\n")
}

func (m *Model) header(now time.Time, width int) []string {
	t := m.tree
	done, total := t.Progress()
	elapsed := ""
	if !t.Started.IsZero() {
		end := now
		if !t.Finished.IsZero() {
			end = t.Finished
		}
		elapsed = formatDuration(end.Sub(t.Started))
	}
	status := fmt.Sprintf("%s %s", m.opts.Style.Icon(t.Phase, m.frame), orPending(t.Phase))
	eta := ""
	if m.opts.ETA > 0 && !t.Started.IsZero() && t.Finished.IsZero() {
		left := m.opts.ETA - now.Sub(t.Started)
		eta = " · ETA " + formatDuration(max(left, 0))
	}
	lines := []string{
		truncate(fmt.Sprintf("%s %s · plan %s · %s", t.Operation, t.Execution, t.Plan, status), width),
		truncate(fmt.Sprintf("elapsed %s · progress %d/%d%s", or(elapsed, "0ms"), done, total, eta), width),
	}
	if m.opts.LockHolder != "" {
		lines = append(lines, truncate("lock: "+m.opts.LockHolder, width))
	}
	for i, w := range m.warnings {
		if i == maxWarningLines {
			lines = append(lines, fmt.Sprintf("(%d more warnings)", len(m.warnings)-i))
			break
		}
		lines = append(lines, truncate("warning: "+w, width))
	}
	lines = append(lines, m.controlLines(width)...)
	if t.Message != "" && (v1alpha1.IsFinished(t.Phase) || t.Phase == v1alpha1.PhaseUnknown) {
		lines = append(lines, truncate(t.Message, width))
	}
	return append(lines, "")
}

func (m *Model) footer(width int) []string {
	switch {
	case m.prompt != nil:
		return m.prompt.lines(m.tree.Execution, width)
	case m.confirm:
		return []string{"", truncate("Cancel this run? Running actions finish, the rest are skipped. [y/N]", width)}
	case m.done:
		return []string{""}
	}
	pause := "p pause"
	if m.tree.Paused != "" {
		pause = "p continue"
	}
	keys := "↑/↓ select · enter details · c cancel · " + pause + " · q detach · ? help"
	if m.opts.Style.ASCII {
		keys = "up/down select · enter details · c cancel · " + pause + " · q detach · ? help"
	}
	lines := []string{""}
	if m.notice != "" {
		lines = append(lines, truncate(m.notice, width))
	}
	return append(lines, truncate(keys, width))
}

func (m *Model) detailPane(n *Node, width int) []string {
	lines := []string{"", truncate(fmt.Sprintf("── %s %s: %s", strings.ToLower(string(n.Kind)), n.Name, orPending(n.Phase)), width)}
	if n.Attempts > 0 {
		lines = append(lines, fmt.Sprintf("attempts: %d", n.Attempts))
	}
	if n.Message != "" {
		lines = append(lines, truncate("message: "+strings.ReplaceAll(n.Message, "\n", " "), width))
	}
	for _, l := range renderedLines(n.Rendered) {
		lines = append(lines, truncate(l, width))
	}
	vals := engine.OutputValues(n.Outputs)
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, truncate(fmt.Sprintf("output %s: %s", k, strings.ReplaceAll(vals[k], "\n", " ")), width))
	}
	return lines
}

// helpLines are the keys; watching is the view of a run in another process (drctl watch).
func helpLines(watching bool) []string {
	cancel := "c             cancel the run (asks first); ctrl+c cancels at once, twice stops"
	closing := "q             close the view; the run goes on in this process until it ends"
	if watching {
		cancel = "c             (drctl cancel EXECUTION cancels the run; this view does not)"
		closing = "q, ctrl+c     stop watching; the run goes on wherever it runs"
	}
	return []string{"",
		"up/down, j/k  select a stage, workflow or action",
		"enter         show or hide the selected node's details",
		cancel,
		"p             pause the run (no new action starts), or continue it",
		"a / x         approve or reject the stage that waits for approval",
		"r / s / x     retry, skip or reject the failed action that waits for a decision",
		"              (each asks for a reason first; skip and reject require one)",
		closing,
		"esc           close this help, the details or a notice; else the view",
		"?             this help",
	}
}

func (m *Model) color(p v1alpha1.ExecutionPhase, s string) string {
	if !m.opts.Color {
		return s
	}
	var c lipgloss.Color
	switch v1alpha1.NormalizePhase(p) {
	case v1alpha1.PhaseSucceeded:
		c = "2"
	case v1alpha1.PhaseFailed:
		c = "1"
	case v1alpha1.PhaseRunning:
		c = "6"
	case v1alpha1.PhaseCanceled, v1alpha1.PhaseUnknown:
		c = "3"
	default:
		return s
	}
	return lipgloss.NewStyle().Foreground(c).Render(s)
}

func orPending(p v1alpha1.ExecutionPhase) string {
	if p == "" {
		return string(v1alpha1.PhasePending)
	}
	return string(p)
}

// renderedLines shows what an action does, as it ran, as its type shows it: the request of an
// HTTP action (credentials redacted), the manifest of a resource, the containers of a Job, the
// target of a Clusternet one.
func renderedLines(a *v1alpha1.Action) []string {
	if a == nil {
		return nil
	}
	if t := actions.Lookup(a.Type); t != nil && t.Set(a) {
		return t.Details(a)
	}
	return nil
}
