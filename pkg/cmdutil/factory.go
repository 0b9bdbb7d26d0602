package cmdutil

import "github.com/drctl/drctl/internal/iostreams"

// Factory is what the root command hands every command: its streams, and (as more commands move
// into packages of their own) the means to reach a cluster. Tests build one around test streams.
type Factory struct {
	IOStreams *iostreams.IOStreams
}
