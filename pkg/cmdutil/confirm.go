package cmdutil

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/drctl/drctl/internal/iostreams"
)

// Confirm shows summary and asks whether to go on; anything but y or yes declines (exit code 4,
// nothing changed). The caller decides whether to ask at all (see IOStreams.CanPrompt).
func Confirm(streams *iostreams.IOStreams, summary string) error {
	fmt.Fprintf(streams.ErrOut, "%s\nContinue? [y/N] ", strings.TrimRight(summary, "\n"))
	answer, err := bufio.NewReader(streams.In).ReadString('\n')
	if err != nil { // no answer (end of input): what follows starts on a line of its own
		fmt.Fprintln(streams.ErrOut)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return &DeclinedError{What: "aborted: nothing was changed"}
}
