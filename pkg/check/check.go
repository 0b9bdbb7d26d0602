// Package check is drctl check: before a disaster, whether a plan's run could do what it says.
// For every action of the plan as it would run (rendered with the run's parameters, nothing
// changed) and for its rollback, it asks the cluster: is the kind served, does the namespace
// exist, may the user do it (SelfSubjectAccessReview), does the object a Patch or Delete needs
// exist; whether each HTTP endpoint's name resolves (and, asked to, whether it answers); and
// which actions a revert could not undo. It also checks what the runner itself needs.
package check

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/engine"
)

// Result is what one check found.
type Result struct {
	// Action is "stage/workflow/action"; "" for the plan itself (parameters, the runner's rights).
	Action string `json:"action,omitempty"`
	// Rollback says the check is of the action's rollback.
	Rollback bool `json:"rollback,omitempty"`
	// Check is what was checked: parameters, runner, kind, namespace, permission, object, dns,
	// http or revert.
	Check string `json:"check"`
	// Outcome is Pass, Fail, Warn or Skip.
	Outcome Outcome `json:"result"`
	// Detail says what was checked and what was found.
	Detail string `json:"detail"`
	// Fix says how to make a failed check pass.
	Fix string `json:"fix,omitempty"`
}

// Outcome is a check's verdict.
type Outcome string

// The outcomes. Only Fail makes the plan fail its check.
const (
	Pass Outcome = "pass"
	Fail Outcome = "FAIL"
	Warn Outcome = "warn"
	// Skip: the check cannot be made before the run (a name from an earlier action's outputs).
	Skip Outcome = "skip"
)

// Checker asks one cluster, as one user, about a plan.
type Checker struct {
	// Client reads and reviews as the user who would run the plan.
	Client client.Client
	// Mapper says which kinds the cluster serves, and their resources and scope.
	Mapper meta.RESTMapper
	// Resolver resolves HTTP endpoints' host names.
	Resolver Resolver
	// Probe, when set, sends a HEAD request to every HTTP endpoint (never the action's method).
	Probe *http.Client
	// SkipRunner leaves out what a run needs besides its actions: drctl serve writes a run's
	// records as itself, not as the identity its actions act as.
	SkipRunner bool

	reviews    map[review]reviewAnswer
	namespaces map[string]Result
	// made is what earlier actions of the planned run make (objects by kind, namespace and
	// name; namespaces; whether any makes a CRD): it need not exist before the run.
	made    map[string]bool
	madeCRD bool
}

// Resolver is the part of net.Resolver drctl check uses.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Plan checks the planned run of a plan of namespace (engine.DryRun's list) and its runner.
func (c *Checker) Plan(ctx context.Context, namespace string, planned []engine.PlannedAction) []Result {
	c.reviews, c.namespaces, c.made, c.madeCRD = map[review]reviewAnswer{}, map[string]Result{}, map[string]bool{}, false
	var results []Result
	if !c.SkipRunner {
		results = c.runner(ctx, namespace)
	}
	for _, p := range planned {
		where := fmt.Sprintf("%s/%s/%s", p.Stage, p.Workflow, p.Action.Name)
		if strings.HasPrefix(p.Condition, "skipped: ") {
			results = append(results, Result{Action: where, Check: "condition", Outcome: Skip, Detail: p.Condition})
			continue
		}
		results = append(results, c.action(ctx, where, false, namespace, p.Action)...)
		c.remember(namespace, p.Action) // what it makes exists for what follows, its rollback first
		results = append(results, c.rollback(ctx, where, namespace, p)...)
	}
	return results
}

// Failed counts the failed checks.
func Failed(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Outcome == Fail {
			n++
		}
	}
	return n
}
