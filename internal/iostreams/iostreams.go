// Package iostreams carries a command's standard streams and what it may do with them: whether
// stdin, stdout and stderr are terminals, whether it runs in CI, whether colour is wanted and
// whether a person can answer a prompt. The environment (CI, TERM, NO_COLOR) is read once, here;
// commands take an IOStreams instead of touching os.Stdin/os.Stdout or the environment, so tests
// hand them buffers and the terminal they need.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's streams. Data goes to Out; prompts, progress and logs to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// Terminal is the standard output as it is, for the live view, which draws with control
	// sequences of its own. Out and ErrOut escape control characters (see Printable).
	Terminal io.Writer

	// StdinTTY, StdoutTTY and StderrTTY say which streams are terminals.
	StdinTTY, StdoutTTY, StderrTTY bool
	// CI says the process runs in a CI system ($CI set): never prompt, never redraw.
	CI bool
	// DumbTerminal says TERM=dumb: a terminal that cannot redraw.
	DumbTerminal bool
	// NoColor says NO_COLOR is set (https://no-color.org).
	NoColor bool
}

// System returns the process's streams and what its environment says of them.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: NewPrintableWriter(os.Stdout), ErrOut: NewPrintableWriter(os.Stderr), Terminal: os.Stdout,
		StdinTTY:     term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTTY:    term.IsTerminal(int(os.Stdout.Fd())),
		StderrTTY:    term.IsTerminal(int(os.Stderr.Fd())),
		CI:           os.Getenv("CI") != "",
		DumbTerminal: os.Getenv("TERM") == "dumb",
		NoColor:      os.Getenv("NO_COLOR") != "",
	}
}

// Test returns streams backed by buffers (no terminal, not CI), and the buffers.
func Test() (streams *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: NewPrintableWriter(out), ErrOut: NewPrintableWriter(errOut), Terminal: out}, in, out, errOut
}

// SmartTerminal says stdout is a terminal that can redraw a live view: not CI, not TERM=dumb.
func (s *IOStreams) SmartTerminal() bool { return s.StdoutTTY && !s.CI && !s.DumbTerminal }

// ColorEnabled says output to the terminal may be coloured.
func (s *IOStreams) ColorEnabled() bool { return s.SmartTerminal() && !s.NoColor }

// CanPrompt says a person can see a question and answer it: drctl asks on stderr and reads
// stdin, so both are terminals, outside CI. (Stdout may be redirected: a log of the run.)
func (s *IOStreams) CanPrompt() bool { return s.StdinTTY && s.StderrTTY && !s.CI }
