package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/validate"
)

type validateOptions struct {
	files            []string
	output           string
	strict           bool
	allowMissingRefs bool
}

func newValidateCommand(g *globals) *cobra.Command {
	o := &validateOptions{}
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(g)
		},
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "file, directory or - (stdin) to validate; repeatable")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json or github")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "fail on warnings too")
	cmd.Flags().BoolVar(&o.allowMissingRefs, "allow-missing-refs", false, "report references to objects not in the input as warnings, not errors")
	return cmd
}

func (o *validateOptions) run(g *globals) error {
	if len(o.files) == 0 {
		return invalidInput("no input: give at least one -f PATH (a file, a directory or - for stdin)")
	}
	switch o.output {
	case "text", "json", "github":
	default:
		return invalidInput("unknown output format %q: want text, json or github", o.output)
	}
	diags, documents := validate.ValidatePaths(o.files, g.streams.In, validate.Options{AllowMissingRefs: o.allowMissingRefs})
	if documents == 0 && !hasErrors(diags) {
		diags = append(diags, validate.Diagnostic{Severity: validate.SeverityWarning, File: strings.Join(o.files, ","),
			Message: "no DRWorkflow, DRPlan or DRPlanExecution found"})
	}
	errs, warns := validate.Count(diags)
	var err error
	switch o.output {
	case "json":
		err = writeJSON(g.streams.Out, diags)
	case "github":
		writeGitHub(g.streams.Out, diags)
	default:
		for _, d := range diags {
			fmt.Fprintln(g.streams.Out, iostreams.OneLine(d.String()))
		}
	}
	if err != nil {
		return err
	}
	if o.output != "json" {
		fmt.Fprintf(g.streams.Out, "%s validated: %s, %s\n", pluralize(documents, "document"),
			pluralize(errs, "error"), pluralize(warns, "warning"))
	}
	if errs > 0 || (o.strict && warns > 0) {
		return silentExit(exitInvalid)
	}
	return nil
}

func hasErrors(diags []validate.Diagnostic) bool {
	errs, _ := validate.Count(diags)
	return errs > 0
}

func writeJSON(w io.Writer, diags []validate.Diagnostic) error {
	if diags == nil {
		diags = []validate.Diagnostic{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(diags)
}

// writeGitHub prints GitHub Actions workflow commands, which annotate the pull request's files.
func writeGitHub(w io.Writer, diags []validate.Diagnostic) {
	for _, d := range diags {
		level := map[validate.Severity]string{validate.SeverityError: "error", validate.SeverityWarning: "warning", validate.SeverityInfo: "notice"}[d.Severity]
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
