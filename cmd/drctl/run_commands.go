package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
)

// runFlags are the flags every command that runs a plan shares.
type runFlags struct {
	lockTimeout      time.Duration
	progress         string
	leaseDuration    time.Duration
	partitionTimeout time.Duration
}

func (f *runFlags) add(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait this long for a plan locked by another run (default: fail at once with exit code 3)")
	cmd.Flags().StringVar(&f.progress, "progress", progress.Auto, "progress output: auto, tty, plain or json")
	cmd.Flags().DurationVar(&f.leaseDuration, "lease-duration", lease.DefaultDuration,
		"how long the plan's lock outlives this runner if it dies (a resume of the run waits that long); a runner that cannot renew it for two thirds of this starts no action (at least 3s)")
	cmd.Flags().DurationVar(&f.partitionTimeout, "partition-timeout", engine.DefaultPartitionTimeout,
		"how long the API server may be unreachable before the run stops and ends Unknown (exit code 5)")
}

// validate rejects timings that cannot be honoured, rather than silently replacing them.
func (f *runFlags) validate() error {
	if f.leaseDuration < 3*time.Second {
		return cmdutil.Invalidf("--lease-duration %s is too short: at least 3s (the API server's clock is known to a second)", f.leaseDuration)
	}
	if f.partitionTimeout <= 0 {
		return cmdutil.Invalidf("--partition-timeout %s: want a positive duration", f.partitionTimeout)
	}
	return nil
}

// tune applies the flags' timings to an engine configuration.
func (f *runFlags) tune(c *engine.Config) {
	c.LeaseDuration, c.PartitionTimeout = f.leaseDuration, f.partitionTimeout
}

// finishRun has r (nil before any progress) show how the run ended; the error says it for the
// exit code (cmdutil.ExitCode). A run that ends in an error still gets its last progress line.
func finishRun(r progress.Renderer, res *engine.Result, err error) error {
	if r == nil {
		return err
	}
	if err != nil {
		r.Abort(err)
		return err
	}
	r.Finish(res)
	return cmdutil.RunOutcome(res.Phase)
}
