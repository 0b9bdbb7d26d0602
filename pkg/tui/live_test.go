package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 28, 3, 15, 0, 0, time.UTC)

// layout is an execution as it is when a run starts: every node Pending.
func layout() *v1alpha1.DRPlanExecution {
	start := metav1.NewTime(t0)
	exec := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "prod-failover-1", Namespace: "dr"},
		Spec:   v1alpha1.DRPlanExecutionSpec{PlanRef: "prod-failover", OperationType: v1alpha1.OperationExecute},
		Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseRunning, StartTime: &start}}
	add := func(stage string, wfs map[string][]string, order []string) {
		ss := v1alpha1.StageStatus{Name: stage, Phase: v1alpha1.PhasePending}
		for _, w := range order {
			we := v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: w}, Phase: v1alpha1.PhasePending}
			for _, a := range wfs[w] {
				we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: a, Phase: v1alpha1.PhasePending})
			}
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, we)
		}
		exec.Status.StageStatuses = append(exec.Status.StageStatuses, ss)
	}
	add("notify", map[string][]string{"notification": {"post"}}, []string{"notification"})
	add("infra", map[string][]string{"mysql": {"freeze", "promote"}, "redis": {"failover"}}, []string{"mysql", "redis"})
	return exec
}

func ev(sec int, typ engine.EventType, stage, wf, action string, phase v1alpha1.ExecutionPhase, attempt int, msg string) engine.Event {
	return engine.Event{Time: t0.Add(time.Duration(sec) * time.Second), Type: typ, Stage: stage, Workflow: wf, Action: action, Phase: phase, Attempt: attempt, Message: msg}
}

func midRun() []engine.Event {
	return []engine.Event{
		ev(0, engine.EventStage, "notify", "", "", v1alpha1.PhaseRunning, 0, ""),
		ev(0, engine.EventWorkflow, "notify", "notification", "", v1alpha1.PhaseRunning, 0, ""),
		ev(0, engine.EventAction, "notify", "notification", "post", v1alpha1.PhaseRunning, 1, ""),
		{Time: t0, Type: engine.EventAction, Stage: "notify", Workflow: "notification", Action: "post", Phase: v1alpha1.PhaseRunning, Attempt: 1,
			Rendered: &v1alpha1.Action{Name: "post", Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{URL: "https://chat.example.com", Method: "POST",
				Headers: map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "application/json"}, Body: `{"text": "failing over"}`}}},
		{Time: t0.Add(time.Second), Type: engine.EventAction, Stage: "notify", Workflow: "notification", Action: "post", Phase: v1alpha1.PhaseSucceeded, Attempt: 1,
			Message: "POST https://chat.example.com: 200 in 80ms", Outputs: &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: 200, Latency: "80ms"}}},
		ev(1, engine.EventWorkflow, "notify", "notification", "", v1alpha1.PhaseSucceeded, 0, ""),
		ev(1, engine.EventStage, "notify", "", "", v1alpha1.PhaseSucceeded, 0, ""),
		ev(1, engine.EventStage, "infra", "", "", v1alpha1.PhaseRunning, 0, ""),
		ev(1, engine.EventWorkflow, "infra", "mysql", "", v1alpha1.PhaseRunning, 0, ""),
		ev(1, engine.EventWorkflow, "infra", "redis", "", v1alpha1.PhaseRunning, 0, ""),
		ev(1, engine.EventAction, "infra", "mysql", "freeze", v1alpha1.PhaseRunning, 1, ""),
		ev(2, engine.EventRetry, "infra", "mysql", "freeze", v1alpha1.PhaseRunning, 1, "503 Service Unavailable"),
		ev(3, engine.EventAction, "infra", "mysql", "freeze", v1alpha1.PhaseRunning, 2, ""),
		ev(1, engine.EventAction, "infra", "redis", "failover", v1alpha1.PhaseRunning, 1, ""),
		ev(4, engine.EventAction, "infra", "redis", "failover", v1alpha1.PhaseFailed, 1, "job dr/x failed: BackoffLimitExceeded"),
		ev(4, engine.EventWorkflow, "infra", "redis", "", v1alpha1.PhaseFailed, 0, "an action failed"),
	}
}

// render feeds events and keys to a model of size w×h and returns the screen.
func render(t *testing.T, w, h int, events []engine.Event, keys ...string) (*Model, string) {
	t.Helper()
	buf := &Buffer{}
	m := NewModel(NewTree(layout()), buf, ViewOptions{Style: Style{ASCII: true}, LockHolder: "execution prod-failover-1 by sre@laptop pid 7",
		ETA: 90 * time.Second, Now: func() time.Time { return t0.Add(5 * time.Second) }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for _, e := range events {
		buf.Observe(e)
	}
	m.Update(tickMsg{})
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m.Update(msg)
	}
	return m, m.View()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test ./pkg/tui -update")
	assert.Equal(t, string(want), got)
}

func TestFrames(t *testing.T) {
	_, screen := render(t, 80, 24, midRun())
	golden(t, "mid-run", screen)

	_, screen = render(t, 80, 24, midRun(), "down", "down", "enter")
	golden(t, "detail", screen)

	_, screen = render(t, 40, 8, midRun(), "down", "down", "down", "down", "down", "down")
	golden(t, "small-terminal-scrolled", screen)

	_, screen = render(t, 80, 24, midRun(), "?")
	golden(t, "help", screen)
}

func TestCancelKeys(t *testing.T) {
	canceled, stopped := 0, 0
	buf := &Buffer{}
	m := NewModel(NewTree(layout()), buf, ViewOptions{Style: Style{ASCII: true}, Cancel: func() { canceled++ }, HardStop: func() { stopped++ }})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	assert.Contains(t, m.View(), "Cancel this run? Running actions finish, the rest are skipped. [y/N]")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	assert.Equal(t, 0, canceled, "anything but y keeps the run")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	assert.Equal(t, 1, canceled)
	assert.Contains(t, m.View(), "cancel requested")

	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	assert.Nil(t, cmd, "the first ctrl+c cancels gracefully")
	assert.Equal(t, 2, canceled)
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	require.NotNil(t, cmd)
	assert.Equal(t, 1, stopped, "the second stops at once")
	assert.True(t, m.Detached)
}

func TestDetachAndDone(t *testing.T) {
	m, _ := render(t, 80, 24, midRun())
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	require.NotNil(t, cmd)
	assert.True(t, m.Detached)

	m, _ = render(t, 80, 24, midRun())
	m.buf.Observe(ev(6, engine.EventExecution, "", "", "", v1alpha1.PhaseFailed, 0, "infra/redis/failover: job failed"))
	_, cmd = m.Update(DoneMsg{})
	require.NotNil(t, cmd)
	assert.False(t, m.Detached)
	assert.Contains(t, m.View(), "x Failed")
	assert.Contains(t, m.View(), "infra/redis/failover: job failed")
}

// TestFourHundredActionsStayResponsive: a frame of a 400-action plan draws only what fits.
func TestFourHundredActionsStayResponsive(t *testing.T) {
	exec := layout()
	big := v1alpha1.StageStatus{Name: "big", Phase: v1alpha1.PhasePending}
	for w := range 20 {
		we := v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: fmt.Sprintf("w%02d", w)}}
		for a := range 20 {
			we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: fmt.Sprintf("a%02d", a)})
		}
		big.WorkflowExecutions = append(big.WorkflowExecutions, we)
	}
	exec.Status.StageStatuses = []v1alpha1.StageStatus{big}
	m := NewModel(NewTree(exec), &Buffer{}, ViewOptions{Style: Style{ASCII: true}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	start := time.Now()
	for range 100 {
		m.Update(tea.KeyMsg{Type: tea.KeyDown})
		assert.LessOrEqual(t, strings.Count(m.View(), "\n")+1, 30)
	}
	assert.Less(t, time.Since(start), time.Second, "100 frames of 400 actions")
	done, total := m.tree.Progress()
	assert.Equal(t, 0, done)
	assert.Equal(t, 400, total)
}

// A workflow whose actions run as a graph shows what each action waits for, in the live tree
// and in describe.
func TestTheViewsShowAnActionGraph(t *testing.T) {
	exec := layout()
	we := &exec.Status.StageStatuses[1].WorkflowExecutions[0]
	we.WorkflowSpec = &v1alpha1.DRWorkflowSpec{Actions: []v1alpha1.Action{{Name: "freeze"}, {Name: "promote", DependsOn: []string{"freeze"}}}}
	tree := RenderTree(NewTree(exec), Style{ASCII: true}, t0, 0)
	assert.Contains(t, tree, "promote (after freeze)")
	assert.NotContains(t, tree, "freeze (after")

	var out strings.Builder
	DescribeExecution(&out, exec, nil, t0)
	assert.Contains(t, out.String(), "promote (after freeze)")
}

// Warnings show in the header, where nothing draws over them: the first three, then a count.
func TestWarningsShowInTheHeader(t *testing.T) {
	buf := &Buffer{}
	m := NewModel(NewTree(layout()), buf, ViewOptions{Style: Style{ASCII: true}, Now: func() time.Time { return t0.Add(5 * time.Second) }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	buf.Warn(`parameter "regoin" is neither declared nor used by any workflow`)
	m.Update(tickMsg{})
	golden(t, "warning", m.View())
	assert.Empty(t, buf.TakeWarnings(), "the view took it: nothing is left to print on stderr")

	for i := 2; i <= 5; i++ {
		buf.Warn(fmt.Sprintf("warning number %d", i))
	}
	m.Update(tickMsg{})
	screen := m.View()
	assert.Contains(t, screen, "warning: warning number 2\n")
	assert.Contains(t, screen, "warning: warning number 3\n")
	assert.NotContains(t, screen, "warning number 4")
	assert.Contains(t, screen, "(2 more warnings)\n")

	buf.Warn("left for stderr")
	assert.Equal(t, []string{"left for stderr"}, buf.TakeWarnings(), "a warning no frame took is handed back once")
	assert.Empty(t, buf.TakeWarnings())
}
