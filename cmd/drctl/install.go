package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/controller"
	"github.com/drctl/drctl/pkg/crd"
)

func newInstallCommand(g *globals) *cobra.Command {
	var dryRun, output string
	var timeout time.Duration
	var serve bool
	var serveOpts controller.ManifestOptions
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install or upgrade drctl's CRDs in the cluster, and with --serve its controller",
		Long: `Install applies drctl's CustomResourceDefinitions (DRPlan, DRWorkflow, DRPlanExecution) with
server-side apply and waits until the API server serves them. It is idempotent and upgrades CRDs
installed by an earlier drctl or by the upstream controller: drctl's CRDs are a superset of theirs.

With --serve it also installs drctl serve, the in-cluster controller and admission webhook: a
Namespace (drctl-system unless -n says otherwise), a ServiceAccount, least-privilege RBAC (plans act
as their own ServiceAccount, which serve impersonates), a Deployment of two replicas with leader
election, a Service and the webhook configurations (serve injects their CA at start).

--dry-run=client prints everything instead of applying it (-o yaml or json), for GitOps.`,
		Example: `  # Install into the current kubectl context
  drctl install

  # Ask the API server to validate, changing nothing
  drctl install --dry-run=server

  # The controller too, from a given image
  drctl install --serve --image registry.example.com/drctl:v1.2.3

  # Its manifests, for a GitOps repository
  drctl install --serve --dry-run=client -o yaml > drctl.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := parseInstallDryRun(dryRun)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("namespace") {
				serveOpts.Namespace = controller.DefaultSystemNamespace
			} else {
				serveOpts.Namespace = *g.configFlags.Namespace
			}
			if mode == dryRunClient {
				return printInstall(g, output, serve, serveOpts)
			}
			if cmd.Flags().Changed("output") {
				return cmdutil.Invalidf("-o/--output prints the manifests: it needs --dry-run=client")
			}
			cfg, err := restConfig(g)
			if err != nil {
				return err
			}
			server := mode == dryRunServer
			if err := crd.Install(cmd.Context(), cfg, crd.InstallOptions{DryRun: server, Timeout: timeout, Progress: g.streams.Out}); err != nil {
				return err
			}
			if !serve {
				return nil
			}
			return controller.Install(cmd.Context(), cfg, controller.InstallOptions{ManifestOptions: serveOpts, DryRun: server, Progress: g.streams.Out})
		},
	}
	cmd.Flags().StringVar(&dryRun, "dry-run", "none", `"server" validates on the API server without persisting; "client" prints what would be applied; "none" applies`)
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "with --dry-run=client: yaml or json")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "how long to wait for the CRDs to be established")
	cmd.Flags().BoolVar(&serve, "serve", false, "install drctl serve (controller and admission webhook) too")
	cmd.Flags().StringVar(&serveOpts.Image, "image", defaultImage(), "with --serve: the drctl image the controller runs")
	cmd.Flags().Int32Var(&serveOpts.Replicas, "replicas", 2, "with --serve: controller replicas (one leads)")
	return cmd
}

// defaultImage is the released image of this drctl's version.
func defaultImage() string { return "ghcr.io/drctl/drctl:" + version.Get().Version }

// printInstall writes what install would apply: the CRDs, and with serve the controller.
func printInstall(g *globals, output string, serve bool, o controller.ManifestOptions) error {
	if output != "yaml" && output != "json" {
		return cmdutil.Invalidf("unknown -o %q: want yaml or json", output)
	}
	crds, err := crd.CRDs()
	if err != nil {
		return err
	}
	var objs []any
	for _, c := range crds {
		c.APIVersion, c.Kind = "apiextensions.k8s.io/v1", "CustomResourceDefinition"
		objs = append(objs, c)
	}
	if serve {
		for _, obj := range controller.Manifests(o) {
			objs = append(objs, obj)
		}
	}
	var docs []map[string]any
	for _, obj := range objs {
		doc, err := manifestDocument(obj)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	if output == "json" {
		b, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": docs}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(g.streams.Out, string(b))
		return err
	}
	for _, doc := range docs {
		b, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.streams.Out, "---\n%s", b)
	}
	return nil
}

// manifestDocument is obj as a document to apply: no status, no creation timestamp.
func manifestDocument(obj any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	delete(doc, "status")
	if meta, ok := doc["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	if spec, ok := doc["spec"].(map[string]any); ok {
		if tmpl, ok := spec["template"].(map[string]any); ok {
			if meta, ok := tmpl["metadata"].(map[string]any); ok {
				delete(meta, "creationTimestamp")
			}
		}
	}
	return doc, nil
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
		return cmdutil.Invalidf("refusing to continue without confirmation: stdin is not a terminal; pass --yes")
	}
	fmt.Fprintf(g.streams.ErrOut, "%s\nContinue? [y/N] ", warning)
	answer, _ := bufio.NewReader(g.streams.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return &cmdutil.DeclinedError{What: "aborted: nothing was changed"}
}

// parseDryRun accepts kubectl's --dry-run values that make sense for drctl.
func parseDryRun(v string) (server bool, err error) {
	switch v {
	case "none", "":
		return false, nil
	case "server":
		return true, nil
	case "client":
		return false, cmdutil.Invalidf(`--dry-run=client is not supported: the CRDs can only be checked by the API server; use --dry-run=server`)
	}
	return false, cmdutil.Invalidf(`invalid --dry-run value %q: want "none" or "server"`, v)
}

type dryRunMode int

const (
	dryRunNone dryRunMode = iota
	dryRunServer
	dryRunClient
)

// parseInstallDryRun accepts kubectl's --dry-run values; install prints its manifests on
// --dry-run=client.
func parseInstallDryRun(v string) (dryRunMode, error) {
	switch v {
	case "none", "":
		return dryRunNone, nil
	case "server":
		return dryRunServer, nil
	case "client":
		return dryRunClient, nil
	}
	return dryRunNone, cmdutil.Invalidf(`invalid --dry-run value %q: want "none", "server" or "client"`, v)
}
