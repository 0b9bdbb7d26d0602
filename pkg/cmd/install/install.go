// Package install is `drctl install`: drctl's CRDs, and with --serve its in-cluster controller,
// applied to the cluster or printed for GitOps.
package install

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/controller"
	"github.com/drctl/drctl/pkg/crd"
)

// Options are the flags of drctl install.
type Options struct {
	Factory *cmdutil.Factory

	// RawDryRun is --dry-run as typed; DryRun the same, parsed.
	RawDryRun string
	DryRun    DryRunMode
	// Output is -o, for --dry-run=client.
	Output  string
	Timeout time.Duration
	// Serve installs the controller too, as Manifest says.
	Serve    bool
	Manifest controller.ManifestOptions
}

// DryRunMode is what --dry-run asks for.
type DryRunMode int

// The --dry-run values.
const (
	DryRunNone DryRunMode = iota
	DryRunServer
	DryRunClient
)

// NewCmdInstall builds the command; runF, when set, runs instead of Run once the flags are
// checked.
func NewCmdInstall(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
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
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Complete(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.RawDryRun, "dry-run", "none", `"server" validates on the API server without persisting; "client" prints what would be applied; "none" applies`)
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "yaml", "with --dry-run=client: yaml or json")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "how long to wait for the CRDs to be established")
	cmd.Flags().BoolVar(&opts.Serve, "serve", false, "install drctl serve (controller and admission webhook) too")
	cmd.Flags().StringVar(&opts.Manifest.Image, "image", defaultImage(), "with --serve: the drctl image the controller runs")
	cmd.Flags().Int32Var(&opts.Manifest.Replicas, "replicas", 2, "with --serve: controller replicas (one leads)")
	return cmd
}

// Complete parses --dry-run, takes the namespace (-n, else drctl-system) and checks the flags
// together.
func (o *Options) Complete(cmd *cobra.Command) error {
	mode, err := parseInstallDryRun(o.RawDryRun)
	if err != nil {
		return err
	}
	o.DryRun = mode
	o.Manifest.Namespace = controller.DefaultSystemNamespace
	if cmd.Flags().Changed("namespace") {
		o.Manifest.Namespace, _ = cmd.Flags().GetString("namespace")
	}
	if mode == DryRunClient {
		if o.Output != "yaml" && o.Output != "json" {
			return cmdutil.Invalidf("unknown -o %q: want yaml or json", o.Output)
		}
	} else if cmd.Flags().Changed("output") {
		return cmdutil.Invalidf("-o/--output prints the manifests: it needs --dry-run=client")
	}
	return nil
}

// Run prints the manifests (--dry-run=client) or applies them.
func Run(ctx context.Context, o *Options) error {
	out := o.Factory.IOStreams.Out
	if o.DryRun == DryRunClient {
		return printInstall(out, o.Output, o.Serve, o.Manifest)
	}
	cfg, err := o.Factory.RESTConfig()
	if err != nil {
		return err
	}
	server := o.DryRun == DryRunServer
	if err := crd.Install(ctx, cfg, crd.InstallOptions{DryRun: server, Timeout: o.Timeout, Progress: out}); err != nil {
		return err
	}
	if !o.Serve {
		return nil
	}
	return controller.Install(ctx, cfg, controller.InstallOptions{ManifestOptions: o.Manifest, DryRun: server, Progress: out})
}

// defaultImage is the released image of this drctl's version.
func defaultImage() string { return "ghcr.io/drctl/drctl:" + version.Get().Version }

// printInstall writes what install would apply: the CRDs, and with serve the controller.
func printInstall(w io.Writer, output string, serve bool, o controller.ManifestOptions) error {
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
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	for _, doc := range docs {
		b, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "---\n%s", b)
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

// parseInstallDryRun accepts kubectl's --dry-run values; install prints its manifests on
// --dry-run=client.
func parseInstallDryRun(v string) (DryRunMode, error) {
	switch v {
	case "none", "":
		return DryRunNone, nil
	case "server":
		return DryRunServer, nil
	case "client":
		return DryRunClient, nil
	}
	return DryRunNone, cmdutil.Invalidf(`invalid --dry-run value %q: want "none", "server" or "client"`, v)
}
