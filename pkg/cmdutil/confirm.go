package cmdutil

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/drctl/drctl/internal/iostreams"
)

// Confirm shows summary on stderr and asks whether to go on. Anything but y or yes declines, and
// so do Ctrl-C (interrupts) and the end of ctx: a DeclinedError, exit code 4, nothing changed.
// The caller decides whether to ask at all (see IOStreams.CanPrompt).
func Confirm(ctx context.Context, streams *iostreams.IOStreams, interrupts <-chan os.Signal, summary string) error {
	fmt.Fprintf(streams.ErrOut, "%s\nContinue? [y/N] ", strings.TrimRight(summary, "\n"))
	type reply struct {
		answer string
		err    error
	}
	replies := make(chan reply, 1)
	go func() { // a read of a terminal cannot be interrupted: it is left behind if not needed
		answer, err := bufio.NewReader(streams.In).ReadString('\n')
		replies <- reply{answer, err}
	}()
	declined := &DeclinedError{What: "aborted: nothing was changed"}
	select {
	case r := <-replies:
		if r.err != nil { // no answer (end of input): what follows starts on a line of its own
			fmt.Fprintln(streams.ErrOut)
		}
		switch strings.ToLower(strings.TrimSpace(r.answer)) {
		case "y", "yes":
			return nil
		}
		return declined
	case <-interrupts:
		fmt.Fprintln(streams.ErrOut)
		return declined
	case <-ctx.Done():
		fmt.Fprintln(streams.ErrOut)
		return declined
	}
}
