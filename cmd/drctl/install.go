package main

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/crd"
)

func newInstallCommand(g *globals) *cobra.Command {
	var dryRun string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install or upgrade drctl's CRDs in the cluster",
		Long: `Install applies drctl's CustomResourceDefinitions (DRPlan, DRWorkflow, DRPlanExecution) with
server-side apply and waits until the API server serves them. It is idempotent and upgrades CRDs
installed by an earlier drctl or by the upstream controller: drctl's CRDs are a superset of theirs.`,
		Example: `  # Install into the current kubectl context
  drctl install

  # Ask the API server to validate, changing nothing
  drctl install --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := parseDryRun(dryRun)
			if err != nil {
				return err
			}
			cfg, err := restConfig(g)
			if err != nil {
				return err
			}
			return crd.Install(cmd.Context(), cfg, crd.InstallOptions{DryRun: server, Timeout: timeout, Progress: g.streams.Out})
		},
	}
	cmd.Flags().StringVar(&dryRun, "dry-run", "none", `"server" validates on the API server without persisting; "none" applies`)
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long to wait for the CRDs to be established")
	return cmd
}

func newUninstallCommand(g *globals) *cobra.Command {
	var dryRun string
	var yes bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove drctl's CRDs and every DRPlan, DRWorkflow and DRPlanExecution with them",
		Long: `Uninstall deletes drctl's CustomResourceDefinitions. The API server then deletes every DRPlan,
DRWorkflow and DRPlanExecution in every namespace, execution history included. It asks for
confirmation unless --yes is given; without a terminal to ask on, --yes is required.`,
		Example: `  drctl uninstall
  drctl uninstall --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := parseDryRun(dryRun)
			if err != nil {
				return err
			}
			if !yes && !server {
				if err := confirm(g, "This deletes the DRPlan, DRWorkflow and DRPlanExecution CRDs and every object of those kinds in the cluster."); err != nil {
					return err
				}
			}
			cfg, err := restConfig(g)
			if err != nil {
				return err
			}
			return crd.Uninstall(cmd.Context(), cfg, crd.UninstallOptions{DryRun: server, Timeout: timeout, Progress: g.streams.Out})
		},
	}
	cmd.Flags().StringVar(&dryRun, "dry-run", "none", `"server" validates on the API server without deleting; "none" deletes`)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long to wait for the CRDs and their objects to be deleted")
	return cmd
}

// confirm asks on the terminal; anything but y/yes aborts. Without a terminal it refuses.
func confirm(g *globals, warning string) error {
	if !g.streams.StdinTTY {
		return invalidInput("refusing to continue without confirmation: stdin is not a terminal; pass --yes")
	}
	fmt.Fprintf(g.streams.ErrOut, "%s\nContinue? [y/N] ", warning)
	answer, _ := bufio.NewReader(g.streams.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return &exitError{code: exitCanceled, err: fmt.Errorf("aborted: nothing was changed")}
}

// parseDryRun accepts kubectl's --dry-run values that make sense for drctl.
func parseDryRun(v string) (server bool, err error) {
	switch v {
	case "none", "":
		return false, nil
	case "server":
		return true, nil
	case "client":
		return false, invalidInput(`--dry-run=client is not supported: the CRDs can only be checked by the API server; use --dry-run=server`)
	}
	return false, invalidInput(`invalid --dry-run value %q: want "none" or "server"`, v)
}
