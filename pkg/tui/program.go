package tui

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/drctl/drctl/internal/iostreams"
)

// LiveView is the live view running on a terminal.
type LiveView struct {
	program *tea.Program
	model   *Model
	end     chan struct{}
}

// StartLiveView draws model on the streams' terminal until the run ends or the user closes the
// view; onDetach is said on stderr when the user closed it before the run ended.
func StartLiveView(streams *iostreams.IOStreams, model *Model, onDetach string) *LiveView {
	v := &LiveView{model: model, end: make(chan struct{}),
		program: tea.NewProgram(model, tea.WithInput(streams.In), tea.WithOutput(streams.Terminal))}
	go func() {
		defer close(v.end)
		if _, err := v.program.Run(); err != nil {
			fmt.Fprintln(streams.ErrOut, "live view:", err)
		}
		if model.Detached && onDetach != "" {
			fmt.Fprintln(streams.ErrOut, onDetach)
		}
	}()
	return v
}

// Detached says the user closed the view before the run ended. (Closing it quits the program:
// until then the model belongs to the program's goroutine.)
func (v *LiveView) Detached() bool {
	select {
	case <-v.end:
		return v.model.Detached
	default:
		return false
	}
}

// Close shows the run's final frame and waits until the view has left the terminal.
func (v *LiveView) Close() {
	v.program.Send(DoneMsg{})
	<-v.end
}
