package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
)

func newExecuteCommand(g *globals) *cobra.Command {
	var rf runFlags
	var params []string
	var mode, name string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "execute PLAN",
		Short: "Run a DR plan and record it in a new DRPlanExecution",
		Long: `Execute validates the plan and its workflows as stored in the cluster, takes the plan's lock
(a Lease), creates a DRPlanExecution and runs it to the end, printing every transition. The first
line names the execution, for drctl revert, cancel and resume.

Exit codes: 0 succeeded, 1 failed, 2 invalid plan or input (nothing changed), 3 the plan is locked
by another run, 4 canceled, 5 outcome unknown (API server unreachable, lock lost).`,
		Example: `  # Fail over, overriding a parameter
  drctl execute prod-failover -n dr -p targetCluster=cluster-b

  # See every rendered action and its rollback, creating nothing
  drctl execute prod-failover --dry-run

  # Machine-readable progress for a pipeline
  drctl execute prod-failover --progress json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := engine.ExecuteOptions{Plan: args[0], Name: name, LockTimeout: rf.lockTimeout}
			var err error
			if opts.Params, err = parseParams(params); err != nil {
				return err
			}
			if opts.Mode, err = parseMode(mode); err != nil {
				return err
			}
			if dryRun {
				if rf.progress == progress.JSON {
					return cmdutil.Invalidf("--dry-run prints the rendered actions as YAML; --progress json does not apply to it")
				}
				rf.progress = progress.Plain
			}
			s, err := g.newRunSession(cmd.Context(), &rf)
			if err != nil {
				return err
			}
			opts.Namespace = s.ns
			opts.OnWarning = func(w string) { fmt.Fprintf(g.streams.ErrOut, "Warning: %s\n", w) }
			if dryRun {
				return printDryRun(cmd.Context(), g, s.eng, opts)
			}
			opts.OnStart = func(e *v1alpha1.DRPlanExecution) {
				s.started(e, fmt.Sprintf("execution %s/%s started (plan %s)", e.Namespace, e.Name, e.Spec.PlanRef))
			}
			return s.run(cmd.Context(), func(ctx context.Context) (*engine.Result, error) { return s.eng.Execute(ctx, opts) })
		},
	}
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "name=value overriding every other parameter source; repeatable")
	cmd.Flags().StringVar(&mode, "mode", "", "execution mode: Install, Upgrade, Delete or Rollback (spec.mode)")
	cmd.Flags().StringVar(&name, "name", "", "name of the DRPlanExecution (default <plan>-<yyyymmdd-hhmmss>-<random>)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "render every action in order with its rollback, and create nothing")
	rf.add(cmd)
	return cmd
}

func parseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cmdutil.Invalidf("-p %q: want name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// parseMode reads --mode in any case (conditions write it lower-cased, the API capitalised).
func parseMode(m string) (v1alpha1.ExecutionMode, error) {
	if m == "" {
		return "", nil
	}
	for _, mode := range []v1alpha1.ExecutionMode{v1alpha1.ModeInstall, v1alpha1.ModeUpgrade, v1alpha1.ModeDelete, v1alpha1.ModeRollback} {
		if strings.EqualFold(m, string(mode)) {
			return mode, nil
		}
	}
	return "", cmdutil.Invalidf("unknown --mode %q: want Install, Upgrade, Delete or Rollback", m)
}

// printDryRun prints every rendered action, in order, as YAML, with the rollback it would get.
func printDryRun(ctx context.Context, g *globals, eng *engine.Engine, opts engine.ExecuteOptions) error {
	planned, err := eng.DryRun(ctx, opts)
	if err != nil {
		return finishRun(nil, nil, err)
	}
	out := g.streams.Out
	mode := ""
	if opts.Mode != "" {
		mode = ", mode " + string(opts.Mode)
	}
	fmt.Fprintf(out, "# dry run of plan %s/%s%s: %d actions in the order they can run, nothing is changed\n", opts.Namespace, opts.Plan, mode, len(planned))
	for i, p := range planned {
		fmt.Fprint(out, "---\n")
		if i == 0 || planned[i-1].Stage != p.Stage {
			after := "starts with the run"
			if len(p.StageAfter) > 0 {
				after = "runs after " + strings.Join(p.StageAfter, ", ")
			}
			fmt.Fprintf(out, "# stage %s %s\n", p.Stage, after)
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
		out.Write(data)
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
