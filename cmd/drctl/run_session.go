package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
	"github.com/drctl/drctl/pkg/tui"
)

// runSession is one command that runs a plan (execute, revert, resume): its engine, how it shows
// progress, the execution it runs once known, and how it stops on interrupts.
type runSession struct {
	g    *globals
	eng  *engine.Engine
	ns   string
	mode string // tty, plain or json
	// render shows the run's start, events (plain, json) and end; under the live view, the
	// headline and the end as plain lines.
	render progress.Renderer

	mu       sync.Mutex
	execName string
	hardStop context.CancelFunc

	// live view (mode tty)
	buf     *tui.Buffer
	program *tea.Program
	model   *tui.Model
	viewEnd chan struct{}
}

// newRunSession resolves the progress mode and builds the engine that feeds it.
func (g *globals) newRunSession(ctx context.Context, rf *runFlags) (*runSession, error) {
	if err := checkProgress(rf.progress); err != nil {
		return nil, err
	}
	if err := rf.validate(); err != nil {
		return nil, err
	}
	s := &runSession{g: g, mode: g.resolveProgress(rf.progress)}
	s.render = progress.New(s.mode, g.streams.Out)
	var obs engine.Observer = s.render
	if s.mode == progress.TTY {
		s.buf = &tui.Buffer{}
		obs = s.buf
	}
	eng, ns, err := newEngine(ctx, g, obs, rf.tune)
	if err != nil {
		return nil, err
	}
	s.eng, s.ns = eng, ns
	return s, nil
}

// resolveProgress turns auto into tty on a capable terminal and plain elsewhere (CI, TERM=dumb,
// output redirected). tty without a terminal falls back to plain: never redraw into a log.
func (g *globals) resolveProgress(mode string) string {
	smart := g.streams.SmartTerminal()
	switch {
	case mode == progress.Auto && smart:
		return progress.TTY
	case mode == progress.Auto:
		return progress.Plain
	case mode == progress.TTY && !g.streams.StdoutTTY:
		fmt.Fprintln(g.streams.ErrOut, "--progress tty needs a terminal; printing plain progress")
		return progress.Plain
	}
	return mode
}

// started is called once the execution exists: it prints the headline (the execution's name comes
// first) and, on a terminal, opens the live view.
func (s *runSession) started(e *v1alpha1.DRPlanExecution, headline string) {
	s.mu.Lock()
	s.execName = e.Name
	s.mu.Unlock()
	s.render.Start(e, headline)
	if s.mode != progress.TTY {
		return
	}
	s.model = tui.NewModel(tui.NewTree(e), s.buf, tui.ViewOptions{
		Color:      !s.g.streams.NoColor,
		LockHolder: fmt.Sprintf("execution %s by %s@%s pid %s", e.Name, e.Annotations[engine.AnnotationRunnerUser], e.Annotations[engine.AnnotationRunnerHost], e.Annotations[engine.AnnotationRunnerPID]),
		ETA:        s.eta(e),
		Cancel:     s.cancel,
		HardStop:   s.stop,
	})
	s.program, s.viewEnd = s.g.startLiveView(s.model, fmt.Sprintf("view closed; %s goes on in this process until it ends (drctl watch %s shows it again)", e.Name, e.Name))
}

// startLiveView runs the live view on the terminal until it quits; onDetach is said when the user
// closed it before the run ended. The returned channel closes when the view is gone.
func (g *globals) startLiveView(model *tui.Model, onDetach string) (*tea.Program, chan struct{}) {
	program := tea.NewProgram(model, tea.WithInput(g.streams.In), tea.WithOutput(g.streams.Terminal))
	end := make(chan struct{})
	go func() {
		defer close(end)
		if _, err := program.Run(); err != nil {
			fmt.Fprintln(g.streams.ErrOut, "live view:", err)
		}
		if model.Detached && onDetach != "" {
			fmt.Fprintln(g.streams.ErrOut, onDetach)
		}
	}()
	return program, end
}

// eta is how long the plan's last successful run of the same operation took.
func (s *runSession) eta(e *v1alpha1.DRPlanExecution) time.Duration {
	c, _, err := kubeClient(s.g)
	if err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	plan := &v1alpha1.DRPlan{}
	if c.Get(ctx, objectKey(e.Namespace, e.Spec.PlanRef), plan) != nil {
		return 0
	}
	for _, h := range plan.Status.ExecutionHistory {
		if h.Name != e.Name && h.OperationType == e.Spec.OperationType && h.Phase == v1alpha1.PhaseSucceeded && h.StartTime != nil && h.CompletionTime != nil {
			return h.CompletionTime.Sub(h.StartTime.Time)
		}
	}
	return 0
}

// cancel asks the run to stop gracefully, through the cancel annotation any terminal could set.
func (s *runSession) cancel() {
	s.mu.Lock()
	name := s.execName
	s.mu.Unlock()
	if name == "" {
		s.stop()
		return
	}
	go func() {
		if _, err := s.eng.Cancel(context.Background(), s.ns, name); err != nil {
			fmt.Fprintln(s.g.streams.ErrOut, "cancel:", err)
		}
	}()
}

func (s *runSession) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hardStop != nil {
		s.hardStop()
	}
}

// run runs fn: the first interrupt cancels gracefully, the second stops at once (the execution
// stays Running, for drctl resume). On a terminal the live view handles the keys instead.
func (s *runSession) run(ctx context.Context, fn func(context.Context) (*engine.Result, error)) error {
	ctx, hardStop := context.WithCancel(ctx)
	defer hardStop()
	s.mu.Lock()
	s.hardStop = hardStop
	s.mu.Unlock()
	done := make(chan struct{})
	defer close(done)
	go func() {
		count := 0
		for {
			select {
			case <-done:
				return
			case <-s.g.interrupts:
				count++
				if count > 1 {
					fmt.Fprintln(s.g.streams.ErrOut, "stopping now; the execution stays Running and can be resumed")
					hardStop()
					return
				}
				s.mu.Lock()
				name := s.execName
				s.mu.Unlock()
				if name != "" {
					fmt.Fprintf(s.g.streams.ErrOut, "canceling %s: running actions finish, the rest are skipped (Ctrl-C again to stop at once)\n", name)
				}
				s.cancel()
			}
		}
	}()
	res, err := fn(ctx)
	if s.program != nil {
		s.program.Send(tui.DoneMsg{})
		<-s.viewEnd
	}
	return finishRun(s.render, res, err)
}

// checkProgress refuses an unknown --progress value (exit code 2).
func checkProgress(mode string) error {
	if err := progress.CheckMode(mode); err != nil {
		return cmdutil.Invalidf("%v", err)
	}
	return nil
}
