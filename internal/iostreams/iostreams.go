// Package iostreams carries a command's standard streams and what it may do with them: whether
// stdin is a terminal a person can answer prompts on, whether stdout is a terminal. Commands take
// an IOStreams instead of touching os.Stdin/os.Stdout, so tests hand them buffers.
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

	// StdinTTY says In is a terminal: prompts are allowed.
	StdinTTY bool
	// StdoutTTY says Out is a terminal.
	StdoutTTY bool
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: NewPrintableWriter(os.Stdout), ErrOut: NewPrintableWriter(os.Stderr), Terminal: os.Stdout,
		StdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// Test returns streams backed by buffers (no TTY), and the buffers.
func Test() (streams *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: NewPrintableWriter(out), ErrOut: NewPrintableWriter(errOut), Terminal: out}, in, out, errOut
}
