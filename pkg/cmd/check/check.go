// Package check is `drctl check`: whether a plan's run would work, asked of the cluster before
// the disaster (pkg/check), as a table or JSON; exit code 6 when a check fails.
package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/check"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// SchemaVersion is the version of check's JSON output.
const SchemaVersion = 1

// Options are the arguments and flags of drctl check.
type Options struct {
	IO      *iostreams.IOStreams
	Factory *cmdutil.Factory

	// Plan is the plan checked, with the run's parameters and mode.
	Plan string
	cmdutil.PlanInputs
	// Output is table or json; ProbeHTTP sends a HEAD request to every HTTP endpoint.
	Output    string
	ProbeHTTP bool
}

// NewCmdCheck builds the command; runF, when set, runs instead of Run once the flags are checked.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "check PLAN",
		Short: "Check, before the disaster, that a plan's run would work",
		Long: `Check renders every action of the plan with the run's parameters, changing nothing, and asks the
cluster, as you, about each action and its rollback: is its kind served (CRDs installed), does its
namespace exist, may you do what it does (SelfSubjectAccessReview), does the object a Patch or
Delete needs exist (and the feeds of a Clusternet object). Parameters must resolve (valueFrom,
required ones). HTTP endpoints must resolve in DNS; with --probe-http each must answer a HEAD
request (never the action's own method). It also checks what a run needs besides its actions,
and says which actions a revert could not undo (a warning).

Exit codes: 0 every check passed (warnings allowed), 6 a check failed, 2 invalid input (no such
plan, bad flags), 1 the API server failed.`,
		Example: `  drctl check prod-failover -n dr
  drctl check prod-failover -p targetCluster=cluster-b --probe-http
  drctl check prod-failover -o json | jq '.results[] | select(.result == "FAIL")'`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			if err := opts.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.AddPlanInputFlags(cmd)
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&opts.ProbeHTTP, "probe-http", false, "send a HEAD request to every HTTP endpoint (never the action's method)")
	return cmd
}

// Complete parses -p and --mode and checks -o.
func (o *Options) Complete() error {
	if err := o.PlanInputs.Parse(); err != nil {
		return err
	}
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.Invalidf("unknown -o %q: want table or json", o.Output)
	}
	return nil
}

// Run checks the plan and prints the results.
func Run(ctx context.Context, o *Options) error {
	c, _, err := o.Factory.KubeClient()
	if err != nil {
		return err
	}
	eng, ns, err := o.Factory.Engine(ctx, nil)
	if err != nil {
		return err
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.Plan}, &v1alpha1.DRPlan{}); apierrors.IsNotFound(err) {
		return cmdutil.Invalidf("DRPlan %s/%s not found", ns, o.Plan)
	} else if err != nil {
		return fmt.Errorf("read DRPlan %s/%s: %w", ns, o.Plan, err)
	}
	var warnings []string
	planned, err := eng.DryRun(ctx, engine.ExecuteOptions{Namespace: ns, Plan: o.Plan, Params: o.Params, Mode: o.Mode,
		OnWarning: func(w string) { warnings = append(warnings, w) }})
	var results []check.Result
	for _, w := range warnings {
		results = append(results, check.Result{Check: "plan", Outcome: check.Warn, Detail: w})
	}
	switch {
	case err != nil && !engine.IsInvalid(err):
		return err // the API server, not the plan
	case err != nil: // the plan as it would run is invalid: nothing further can be checked
		results = append(results, check.Result{Check: "plan", Outcome: check.Fail, Detail: err.Error(),
			Fix: "fix the plan or its parameters (drctl validate, -p, valueFrom sources)"})
	default:
		checker := &check.Checker{Client: c, Mapper: c.RESTMapper(), Resolver: net.DefaultResolver}
		if o.ProbeHTTP {
			checker.Probe = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		results = append(results, checker.Plan(ctx, ns, planned)...)
	}
	if err := write(o.IO.Out, o.Output, ns, o.Plan, results); err != nil {
		return err
	}
	if check.Failed(results) > 0 {
		return &cmdutil.ReportedError{Code: cmdutil.ExitCheckFailed}
	}
	return nil
}

// write prints the results as a table with a summary line, or as one JSON document.
func write(w io.Writer, format, namespace, plan string, results []check.Result) error {
	counts := map[check.Outcome]int{}
	for _, r := range results {
		counts[r.Outcome]++
	}
	if format == "json" {
		doc := struct {
			Version int            `json:"version"`
			Plan    string         `json:"plan"`
			Passed  bool           `json:"passed"`
			Failed  int            `json:"failed"`
			Results []check.Result `json:"results"`
		}{SchemaVersion, namespace + "/" + plan, counts[check.Fail] == 0, counts[check.Fail], results}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tCHECK\tRESULT\tDETAIL\tFIX")
	for _, r := range results {
		action := r.Action
		if action == "" {
			action = "(plan)"
		}
		if r.Rollback {
			action += " (rollback)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", action, r.Check, r.Outcome, oneLine(r.Detail), oneLine(r.Fix))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "the plan passed its check"
	if counts[check.Fail] > 0 {
		verdict = "the plan would fail"
	}
	_, err := fmt.Fprintf(w, "\n%s/%s: %d checks, %d passed, %d failed, %d warnings, %d skipped: %s\n", namespace, plan,
		len(results), counts[check.Pass], counts[check.Fail], counts[check.Warn], counts[check.Skip], verdict)
	return err
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
