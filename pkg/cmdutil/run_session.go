package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
	"github.com/drctl/drctl/pkg/tui"
)

// RunSession is one command that runs a plan (execute, revert, resume): its engine, how it shows
// progress, the execution it runs once known, and how it stops on interrupts.
type RunSession struct {
	// Engine runs the plan; Namespace is the namespace to work in.
	Engine    *engine.Engine
	Namespace string

	f    *Factory
	io   *iostreams.IOStreams
	mode string // tty, plain or json
	// render shows the run's start, events (plain, json) and end; under the live view, the
	// headline and the end as plain lines.
	render progress.Renderer

	mu       sync.Mutex
	execName string
	hardStop context.CancelFunc

	// the live view (mode tty), and the logs it holds while it draws
	buf  *tui.Buffer
	view *tui.LiveView
	logs *viewLogState
}

// NewRunSession resolves the progress mode of rf and builds the engine that feeds it.
func NewRunSession(ctx context.Context, f *Factory, rf *RunFlags) (*RunSession, error) {
	s := &RunSession{f: f, io: f.IOStreams, mode: ResolveProgress(f.IOStreams, rf.Progress)}
	s.render = progress.New(s.mode, s.io.Out)
	var obs engine.Observer = s.render
	tune := []func(*engine.Config){rf.Tune}
	if s.mode == progress.TTY {
		s.buf = &tui.Buffer{}
		obs = s.buf
		if f.LogsToTerminal != nil && f.LogsToTerminal() {
			s.logs = &viewLogState{buf: s.buf}
			tune = append(tune, func(c *engine.Config) {
				if c.Logger != nil {
					c.Logger = slog.New(&viewLogs{next: c.Logger.Handler(), state: s.logs})
				}
			})
		}
	}
	eng, ns, err := f.Engine(ctx, obs, tune...)
	if err != nil {
		return nil, err
	}
	s.Engine, s.Namespace = eng, ns
	return s, nil
}

// ResolveProgress turns auto into tty on a capable terminal and plain elsewhere (CI, TERM=dumb,
// output redirected). tty without a terminal falls back to plain: never redraw into a log.
func ResolveProgress(streams *iostreams.IOStreams, mode string) string {
	switch {
	case mode == progress.Auto && streams.SmartTerminal():
		return progress.TTY
	case mode == progress.Auto:
		return progress.Plain
	case mode == progress.TTY && !streams.StdoutTTY:
		fmt.Fprintln(streams.ErrOut, "--progress tty needs a terminal; printing plain progress")
		return progress.Plain
	}
	return mode
}

// Warn shows a warning about the run: inside the live view, which a line on stderr would draw
// over (or on stderr if the run ends before the view opens), else on stderr.
func (s *RunSession) Warn(message string) {
	if s.buf != nil {
		s.buf.Warn(message)
		return
	}
	fmt.Fprintf(s.io.ErrOut, "Warning: %s\n", message)
}

// Started is called once the execution exists: it prints the headline (the execution's name
// comes first) and, on a terminal, opens the live view.
func (s *RunSession) Started(e *v1alpha1.DRPlanExecution, headline string) {
	s.mu.Lock()
	s.execName = e.Name
	s.mu.Unlock()
	s.render.Start(e, headline)
	if s.mode != progress.TTY {
		return
	}
	model := tui.NewModel(tui.NewTree(e), s.buf, tui.ViewOptions{
		Color:      !s.io.NoColor,
		LockHolder: fmt.Sprintf("execution %s by %s@%s pid %s", e.Name, e.Annotations[engine.AnnotationRunnerUser], e.Annotations[engine.AnnotationRunnerHost], e.Annotations[engine.AnnotationRunnerPID]),
		ETA:        s.eta(e),
		Cancel:     s.cancel,
		HardStop:   s.stop,
		Signal:     SignalSender(s.Engine, e.Namespace, e.Name),
	})
	if s.logs != nil {
		s.logs.hold()
	}
	s.view = tui.StartLiveView(s.io, model, fmt.Sprintf("view closed; %s goes on in this process until it ends (drctl watch %s shows it again)", e.Name, e.Name))
}

// Mode is the progress mode the session resolved: tty, plain or json.
func (s *RunSession) Mode() string { return s.mode }

// Execution is the name of the execution the session runs; "" before it exists.
func (s *RunSession) Execution() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.execName
}

// eta is how long the plan's last successful run of the same operation took.
func (s *RunSession) eta(e *v1alpha1.DRPlanExecution) time.Duration {
	c, _, err := s.f.KubeClient()
	if err != nil {
		return 0
	}
	return progress.ETA(context.Background(), c, e)
}

// cancel asks the run to stop gracefully, through the cancel annotation any terminal could set.
func (s *RunSession) cancel() {
	s.mu.Lock()
	name := s.execName
	s.mu.Unlock()
	if name == "" {
		s.stop()
		return
	}
	go func() {
		if _, err := s.Engine.Cancel(context.Background(), s.Namespace, name); err != nil {
			fmt.Fprintln(s.io.ErrOut, "cancel:", err)
		}
	}()
}

func (s *RunSession) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hardStop != nil {
		s.hardStop()
	}
}

// Run runs fn: the first interrupt cancels gracefully, the second stops at once (the execution
// stays Running, for drctl resume). On a terminal the live view handles the keys instead. The
// error says how the run ended, for the exit code.
func (s *RunSession) Run(ctx context.Context, fn func(context.Context) (*engine.Result, error)) error {
	ctx, hardStop := context.WithCancel(ctx)
	defer hardStop()
	s.mu.Lock()
	s.hardStop = hardStop
	s.mu.Unlock()
	done := make(chan struct{})
	defer close(done)
	go s.handleInterrupts(done, hardStop)
	res, err := fn(ctx)
	if s.view != nil {
		s.view.Close()
	}
	if s.logs != nil {
		s.logs.release()
	}
	if s.buf != nil { // warnings no view showed: the run never started, or the view was closed
		for _, w := range s.buf.TakeWarnings() {
			fmt.Fprintf(s.io.ErrOut, "Warning: %s\n", w)
		}
	}
	return FinishRun(s.render, res, err)
}

func (s *RunSession) handleInterrupts(done <-chan struct{}, hardStop context.CancelFunc) {
	count := 0
	for {
		select {
		case <-done:
			return
		case <-s.f.Interrupts:
			count++
			if count > 1 {
				fmt.Fprintln(s.io.ErrOut, "stopping now; the execution stays Running and can be resumed")
				hardStop()
				return
			}
			s.mu.Lock()
			name := s.execName
			s.mu.Unlock()
			if name != "" {
				fmt.Fprintf(s.io.ErrOut, "canceling %s: running actions finish, the rest are skipped (Ctrl-C again to stop at once)\n", name)
			}
			s.cancel()
		}
	}
}

// FinishRun has r (nil before any progress) show how the run ended; the error says it for the
// exit code (ExitCode). A run that ends in an error still gets its last progress line.
func FinishRun(r progress.Renderer, res *engine.Result, err error) error {
	if r == nil {
		return err
	}
	if err != nil {
		r.Abort(err)
		return err
	}
	r.Finish(res)
	return RunOutcome(res.Phase)
}
