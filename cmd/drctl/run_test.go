package main

import (
	"context"
	"os"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmd/root"
)

// The tests of this package run the whole CLI in-process, as main does, against a real API
// server (and some run the built binary).

// run runs drctl with args and returns its exit code.
func run(ctx context.Context, streams *iostreams.IOStreams, args []string) int {
	return root.Run(ctx, "drctl", streams, args, nil)
}

// runWithSignals is run with interrupts delivering what SIGINT/SIGTERM would.
func runWithSignals(ctx context.Context, streams *iostreams.IOStreams, args []string, interrupts <-chan os.Signal) int {
	return root.Run(ctx, "drctl", streams, args, interrupts)
}
