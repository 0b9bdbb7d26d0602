package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/engine"
)

// runFlags are the flags every command that runs a plan shares.
type runFlags struct {
	lockTimeout time.Duration
	progress    string
}

func (f *runFlags) add(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait this long for a plan locked by another run (default: fail at once with exit code 3)")
	cmd.Flags().StringVar(&f.progress, "progress", progressAuto, "progress output: auto, tty, plain or json")
}

// runWithInterrupts runs fn with a context that ends on the second interrupt; the first asks the
// engine to cancel gracefully (running actions finish, the rest are skipped), through the same
// cancel annotation any other terminal would set.
func (g *globals) runWithInterrupts(ctx context.Context, eng *engine.Engine, namespace string, execution func() string, fn func(context.Context) (*engine.Result, error)) (*engine.Result, error) {
	ctx, hardStop := context.WithCancel(ctx)
	defer hardStop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		count := 0
		for {
			select {
			case <-done:
				return
			case <-g.interrupts:
				count++
				if count > 1 {
					fmt.Fprintln(g.streams.ErrOut, "stopping now; the execution stays Running and can be resumed")
					hardStop()
					return
				}
				name := execution()
				if name == "" {
					hardStop()
					return
				}
				fmt.Fprintf(g.streams.ErrOut, "canceling %s: running actions finish, the rest are skipped (Ctrl-C again to stop at once)\n", name)
				go func() {
					if _, err := eng.Cancel(context.Background(), namespace, name); err != nil {
						fmt.Fprintln(g.streams.ErrOut, "cancel:", err)
					}
				}()
			}
		}
	}()
	return fn(ctx)
}

// finishRun prints the summary and maps the outcome to an exit code.
func (g *globals) finishRun(res *engine.Result, err error) error {
	if err != nil {
		var held *lease.HeldError
		switch {
		case engine.IsInvalid(err):
			return &exitError{code: exitInvalid, err: err}
		case errors.As(err, &held):
			return &exitError{code: exitLocked, err: err}
		}
		return err
	}
	fmt.Fprintln(g.streams.Out, summary(res))
	if code := phaseExitCode(res.Phase); code != exitOK {
		return silentExit(code)
	}
	return nil
}
