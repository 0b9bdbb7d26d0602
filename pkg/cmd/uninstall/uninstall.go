// Package uninstall is `drctl uninstall`: drctl's CRDs removed, and with them every DRPlan,
// DRWorkflow and DRPlanExecution in the cluster.
package uninstall

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd"
)

// Options are the flags of drctl uninstall.
type Options struct {
	Factory *cmdutil.Factory

	// RawDryRun is --dry-run as typed; ServerDryRun says it is "server".
	RawDryRun    string
	ServerDryRun bool
	Yes          bool
	Timeout      time.Duration
}

// NewCmdUninstall builds the command; runF, when set, runs instead of Run once the flags are
// checked (and the deletion confirmed).
func NewCmdUninstall(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove drctl's CRDs and every DRPlan, DRWorkflow and DRPlanExecution with them",
		Long: `Uninstall deletes drctl's CustomResourceDefinitions. The API server then deletes every DRPlan,
DRWorkflow and DRPlanExecution in every namespace, execution history included. It asks for
confirmation unless --yes is given; without a terminal to ask on, --yes is required.`,
		Example: `  drctl uninstall
  drctl uninstall --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.RawDryRun, "dry-run", "none", `"server" validates on the API server without deleting; "none" deletes`)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long to wait for the CRDs and their objects to be deleted")
	return cmd
}

// Complete parses --dry-run and, unless --yes or a server dry run, asks for confirmation: the
// deletion cannot be undone, so without a terminal to ask on it is refused.
func (o *Options) Complete() error {
	switch o.RawDryRun {
	case "none", "":
	case "server":
		o.ServerDryRun = true
	case "client":
		return cmdutil.Invalidf(`--dry-run=client is not supported: the CRDs can only be checked by the API server; use --dry-run=server`)
	default:
		return cmdutil.Invalidf(`invalid --dry-run value %q: want "none" or "server"`, o.RawDryRun)
	}
	if o.Yes || o.ServerDryRun {
		return nil
	}
	if !o.Factory.IOStreams.CanPrompt() {
		return cmdutil.Invalidf("refusing to continue without confirmation: no terminal to ask on; pass --yes")
	}
	return cmdutil.Confirm(context.Background(), o.Factory.IOStreams, o.Factory.Interrupts, "This deletes the DRPlan, DRWorkflow and DRPlanExecution CRDs and every object of those kinds in the cluster.")
}

// Run deletes the CRDs and waits until they and their objects are gone.
func Run(ctx context.Context, o *Options) error {
	cfg, err := o.Factory.RESTConfig()
	if err != nil {
		return err
	}
	return crd.Uninstall(ctx, cfg, crd.UninstallOptions{DryRun: o.ServerDryRun, Timeout: o.Timeout, Progress: o.Factory.IOStreams.Out})
}
