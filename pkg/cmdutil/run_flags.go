package cmdutil

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
)

// RunFlags are the flags every command that runs a plan shares (execute, revert, resume).
type RunFlags struct {
	LockTimeout      time.Duration
	Progress         string
	LeaseDuration    time.Duration
	PartitionTimeout time.Duration
	// Yes skips the confirmation execute and revert ask on a terminal.
	Yes bool
}

// AddRunFlags binds the flags to cmd.
func (f *RunFlags) AddRunFlags(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.LockTimeout, "lock-timeout", 0, "wait this long for a plan locked by another run (default: fail at once with exit code 3)")
	AddProgressFlag(cmd, &f.Progress)
	cmd.Flags().DurationVar(&f.LeaseDuration, "lease-duration", lease.DefaultDuration,
		"how long the plan's lock outlives this runner if it dies (a resume of the run waits that long); a runner that cannot renew it for two thirds of this starts no action (at least 3s)")
	cmd.Flags().DurationVar(&f.PartitionTimeout, "partition-timeout", engine.DefaultPartitionTimeout,
		"how long the API server may be unreachable before the run stops and ends Unknown (exit code 5)")
}

// AddProgressFlag defines --progress, the same for every command that shows a run.
func AddProgressFlag(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "progress", progress.Auto, "progress output: auto, tty, plain or json")
}

// AddYesFlag defines --yes/-y: go on without the confirmation asked on a terminal.
func AddYesFlag(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "do not ask for confirmation (without a terminal, none is asked)")
}

// Validate rejects a --progress drctl does not know and timings that cannot be honoured,
// rather than silently replacing them.
func (f *RunFlags) Validate() error {
	if err := CheckProgress(f.Progress); err != nil {
		return err
	}
	if f.LeaseDuration < 3*time.Second {
		return Invalidf("--lease-duration %s is too short: at least 3s (the API server's clock is known to a second)", f.LeaseDuration)
	}
	if f.PartitionTimeout <= 0 {
		return Invalidf("--partition-timeout %s: want a positive duration", f.PartitionTimeout)
	}
	return nil
}

// Tune applies the flags' timings to an engine configuration.
func (f *RunFlags) Tune(c *engine.Config) {
	c.LeaseDuration, c.PartitionTimeout = f.LeaseDuration, f.PartitionTimeout
}

// CheckProgress refuses an unknown --progress value (exit code 2).
func CheckProgress(mode string) error {
	if err := progress.CheckMode(mode); err != nil {
		return Invalid(err)
	}
	return nil
}
