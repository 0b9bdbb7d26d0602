// Package validate is `drctl validate`: it checks DRWorkflow, DRPlan and DRPlanExecution YAML
// offline, as the API server and the engine would, and reports each problem at its file, line
// and field (text, JSON or GitHub annotations).
package validate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	plancheck "github.com/drctl/drctl/pkg/validate"
)

// Options are the flags of drctl validate.
type Options struct {
	IO *iostreams.IOStreams

	Files            []string
	Output           string
	Strict           bool
	AllowMissingRefs bool
}

// NewCmdValidate builds the command. runF, when set, runs instead of Run once the flags are
// checked: tests see the Options a command line gives, without reading any file.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate -f PATH [-f PATH]...",
		Short: "Check DRWorkflow, DRPlan and DRPlanExecution YAML without a cluster",
		Long: `Validate checks plans offline, as the API server and drctl's engine would: schema, unknown
fields, parameters and placeholders, stage and action dependencies, rollback rules, and references
between the documents given (plan -> workflows, execution -> plan, revert -> execution).

PATH is a file, a directory (searched recursively for *.yaml, *.yml and *.json) or - for stdin.
Documents of other kinds are skipped. Exit code 0 means valid (warnings allowed unless --strict),
2 means invalid or unreadable input.`,
		Example: `  # Validate a folder of plans and workflows
  drctl validate -f examples/

  # Annotate a GitHub pull request
  drctl validate -f deploy/dr -o github

  # Validate a plan whose workflows live elsewhere
  kubectl kustomize overlays/prod | drctl validate -f - --allow-missing-refs`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Files, "filename", "f", nil, "file, directory or - (stdin) to validate; repeatable")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text, json or github")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "fail on warnings too")
	cmd.Flags().BoolVar(&opts.AllowMissingRefs, "allow-missing-refs", false, "report references to objects not in the input as warnings, not errors")
	return cmd
}

// Validate checks the flags (exit code 2 when they are wrong).
func (o *Options) Validate() error {
	if len(o.Files) == 0 {
		return cmdutil.Invalidf("no input: give at least one -f PATH (a file, a directory or - for stdin)")
	}
	switch o.Output {
	case "text", "json", "github":
		return nil
	}
	return cmdutil.Invalidf("unknown output format %q: want text, json or github", o.Output)
}

// Run validates the files and prints the diagnostics; invalid input is a ReportedError with exit
// code 2, as are warnings under --strict.
func Run(o *Options) error {
	diags, documents := plancheck.ValidatePaths(o.Files, o.IO.In, plancheck.Options{AllowMissingRefs: o.AllowMissingRefs})
	if documents == 0 && !hasErrors(diags) {
		diags = append(diags, plancheck.Diagnostic{Severity: plancheck.SeverityWarning, File: strings.Join(o.Files, ","),
			Message: "no DRWorkflow, DRPlan or DRPlanExecution found"})
	}
	errs, warns := plancheck.Count(diags)
	switch o.Output {
	case "json":
		if err := writeJSON(o.IO.Out, diags); err != nil {
			return err
		}
	case "github":
		writeGitHub(o.IO.Out, diags)
	default:
		for _, d := range diags {
			fmt.Fprintln(o.IO.Out, iostreams.OneLine(d.String()))
		}
	}
	if o.Output != "json" {
		fmt.Fprintf(o.IO.Out, "%s validated: %s, %s\n", pluralize(documents, "document"),
			pluralize(errs, "error"), pluralize(warns, "warning"))
	}
	if errs > 0 || (o.Strict && warns > 0) {
		return &cmdutil.ReportedError{Code: cmdutil.ExitInvalid}
	}
	return nil
}

func hasErrors(diags []plancheck.Diagnostic) bool {
	errs, _ := plancheck.Count(diags)
	return errs > 0
}

func writeJSON(w io.Writer, diags []plancheck.Diagnostic) error {
	if diags == nil {
		diags = []plancheck.Diagnostic{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(diags)
}

// writeGitHub prints GitHub Actions workflow commands, which annotate the pull request's files.
func writeGitHub(w io.Writer, diags []plancheck.Diagnostic) {
	for _, d := range diags {
		level := map[plancheck.Severity]string{plancheck.SeverityError: "error", plancheck.SeverityWarning: "warning", plancheck.SeverityInfo: "notice"}[d.Severity]
		props := "file=" + ghEscapeProperty(d.File)
		if d.Line > 0 {
			props += fmt.Sprintf(",line=%d", d.Line)
		}
		if d.Column > 0 {
			props += fmt.Sprintf(",col=%d", d.Column)
		}
		title := "drctl validate"
		if o := d.Object(); o != "" {
			title += ": " + o
		}
		props += ",title=" + ghEscapeProperty(title)
		msg := d.Message
		if d.Field != "" {
			msg = d.Field + ": " + msg
		}
		fmt.Fprintf(w, "::%s %s::%s\n", level, props, ghEscapeData(msg))
	}
}

// ghEscapeData and ghEscapeProperty escape as the GitHub Actions toolkit does.
func ghEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghEscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func pluralize(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
