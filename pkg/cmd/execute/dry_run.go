package execute

import (
	"context"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/engine"
)

// printDryRun prints every rendered action, in order, as YAML, with the rollback it would get.
func printDryRun(ctx context.Context, out io.Writer, eng *engine.Engine, opts engine.ExecuteOptions) error {
	planned, err := eng.DryRun(ctx, opts)
	if err != nil {
		return err
	}
	return writeDryRun(out, opts, planned)
}

// writeDryRun writes the planned actions of a dry run as YAML documents, each with comments
// saying where it runs, whether it runs, what it reaches and its rollback.
func writeDryRun(out io.Writer, opts engine.ExecuteOptions, planned []engine.PlannedAction) error {
	mode := ""
	if opts.Mode != "" {
		mode = ", mode " + string(opts.Mode)
	}
	fmt.Fprintf(out, "# dry run of plan %s/%s%s: %d actions in the order they can run, nothing is changed\n", opts.Namespace, opts.Plan, mode, len(planned))
	if len(planned) > 0 && planned[0].AskOnFailure {
		fmt.Fprint(out, "# on failure: ask (an action that fails waits for drctl retry, skip or reject)\n")
	}
	for i, p := range planned {
		fmt.Fprint(out, "---\n")
		if i == 0 || planned[i-1].Stage != p.Stage {
			after := "starts with the run"
			if len(p.StageAfter) > 0 {
				after = "runs after " + strings.Join(p.StageAfter, ", ")
			}
			fmt.Fprintf(out, "# stage %s %s\n", p.Stage, after)
			if a := p.StageApproval; a != nil {
				fmt.Fprintf(out, "# stage %s waits for approval (drctl approve) before it starts: %s\n", p.Stage, strings.ReplaceAll(a.Message, "\n", " "))
			}
		}
		fmt.Fprintf(out, "# %d. stage %s, workflow %s, action %s\n", i+1, p.Stage, p.Workflow, p.Action.Name)
		if p.Condition != "" {
			fmt.Fprintf(out, "# %s\n", p.Condition)
		}
		for _, r := range p.Reach {
			fmt.Fprintf(out, "# reaches: %s\n", r)
		}
		data, err := yaml.Marshal(p.Action)
		if err != nil {
			return err
		}
		if _, err := out.Write(data); err != nil {
			return err
		}
		if p.Rollback != nil {
			data, err := yaml.Marshal(p.Rollback)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "# rollback (custom):\n%s", indentComment(string(data)))
		} else {
			fmt.Fprintf(out, "# rollback: %s\n", p.AutoRollback)
		}
	}
	return nil
}

func indentComment(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "#   " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
