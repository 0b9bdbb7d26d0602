// Package report is `drctl report`: one execution told for an audit (pkg/report), as Markdown, a
// self-contained HTML page or JSON.
package report

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/report"
)

// Options are the arguments and flags of drctl report.
type Options struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory
	// Execution is the execution reported; Output md, html or json.
	Execution, Output string
}

// NewCmdReport builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdReport(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "report EXECUTION",
		Short: "Everything an auditor asks about one execution, as Markdown, HTML or JSON",
		Long: `Report tells one execution from its record: who ran it (as the API server identified them), on
which host, with which drctl; its parameters (sensitive ones redacted); every action with what it
does, its phase, attempts, timing, response excerpt and the objects it created or changed; the
events; the revert that undid it; and its duration against the plan's earlier successful runs.

-o html writes one self-contained page (no script, nothing fetched) with a timeline chart.`,
		Example: `  drctl report prod-failover-20261128-031500-a1b2 -n dr > report.md
  drctl report prod-failover-20261128-031500-a1b2 -o html > report.html`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlanExecution),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Execution = args[0]
			switch opts.Output {
			case "md", "html", "json":
			default:
				return cmdutil.Invalidf("unknown -o %q: want md, html or json", opts.Output)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "md", "output format: md, html or json")
	return cmd
}

// Run reads the execution and writes its report.
func Run(ctx context.Context, o *Options) error {
	c, ns, err := o.Factory.KubeClient()
	if err != nil {
		return err
	}
	r, err := report.Build(ctx, c, ns, o.Execution)
	if apierrors.IsNotFound(err) {
		return cmdutil.Invalidf("DRPlanExecution %s/%s not found", ns, o.Execution)
	} else if err != nil {
		return fmt.Errorf("read DRPlanExecution %s/%s: %w", ns, o.Execution, err)
	}
	out := o.IO.Out // control characters a record may hold are escaped, as everywhere
	switch o.Output {
	case "html":
		return report.WriteHTML(out, r)
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return report.WriteMarkdown(out, r)
}
