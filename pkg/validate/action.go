package validate

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
	"github.com/drctl/drctl/pkg/when"
)

// checkAction checks one action (or, with rollback set, the rollback of one): its type matches its
// configuration, durations and retry settings parse, and each type's own rules.
func checkAction(path *field.Path, a *v1alpha1.Action, rollback bool) Findings {
	var fs Findings
	fs = append(fs, checkTypeConfig(path, a)...)
	if a.Timeout != "" {
		fs = append(fs, checkDuration(path.Child("timeout"), a.Timeout)...)
	}
	if rp := a.RetryPolicy; rp != nil {
		if rp.Limit != nil && *rp.Limit < 0 {
			fs.Errorf(path.Child("retryPolicy", "limit").String(), "Invalid value %d: must be 0 (no retry) or more", *rp.Limit)
		}
		if rp.Interval != "" {
			fs = append(fs, checkDuration(path.Child("retryPolicy", "interval"), rp.Interval)...)
		}
		if m := rp.BackoffMultiplier; m != "" && !template.HasPlaceholder(m) {
			if f, err := strconv.ParseFloat(m, 64); err != nil || f < 1 {
				fs.Errorf(path.Child("retryPolicy", "backoffMultiplier").String(), "Invalid value %q: must be a number of at least 1", m)
			}
		}
	}
	if t := actions.Lookup(a.Type); t != nil && t.Set(a) {
		t.Check(path, a, &fs)
	}
	fs = append(fs, checkWhen(path.Child("when"), a.When)...)
	if a.HookType != "" && !slices.Contains(HookTypes, a.HookType) {
		fs.Errorf(path.Child("hookType").String(), "Unsupported value %q: supported values: %s", a.HookType, strings.Join(HookTypes, ", "))
	}
	if a.WaitReady && a.Type != v1alpha1.ActionSubscription {
		fs.Warnf(path.Child("waitReady").String(), "waitReady applies to Subscription actions only; it is ignored for %s", a.Type)
	}
	if a.ClusterExecutionMode == v1alpha1.ClusterExecutionPerCluster && (a.Type != v1alpha1.ActionSubscription || !a.WaitReady) {
		fs.Warnf(path.Child("clusterExecutionMode").String(), "PerCluster applies to Subscription actions with waitReady only; this action runs as one (Global)")
	}
	if rollback {
		if a.Rollback != nil {
			fs.Errorf(path.Child("rollback").String(), "Forbidden: a rollback cannot have a rollback of its own")
		}
		return fs
	}
	if t := actions.Lookup(a.Type); t != nil && t.Set(a) && a.Rollback == nil {
		if rb := t.RollbackOf(a); rb.Kind == actions.RollbackRequired {
			fs.Errorf(path.Child("rollback").String(), "Required value: %s operation %s needs a rollback: %s", a.Type, t.Operation(a), rb.What)
		}
	}
	return fs
}

// checkTypeConfig requires the configuration field of the action's type and forbids the others,
// so an action can never mean two things.
func checkTypeConfig(path *field.Path, a *v1alpha1.Action) Findings {
	var fs Findings
	want := actions.Lookup(a.Type)
	if want == nil {
		return fs // unknown or missing type: the schema check reports it
	}
	if !want.Set(a) {
		fs.Errorf(path.Child(want.Field).String(), "Required value: an action of type %s needs %s", a.Type, want.Field)
	}
	for _, t := range actions.Types() {
		if t != want && t.Set(a) {
			fs.Errorf(path.Child(t.Field).String(), "Forbidden: %s is set but the action's type is %s (it would be ignored)", t.Field, a.Type)
		}
	}
	return fs
}

func checkDuration(path *field.Path, value string) Findings {
	var fs Findings
	if template.HasPlaceholder(value) {
		return fs // known only at run time; the engine checks it after rendering
	}
	d, err := time.ParseDuration(value)
	switch {
	case err != nil:
		fs.Errorf(path.String(), "Invalid value %q: not a duration (e.g. 30s, 5m, 1h30m)", value)
	case d <= 0:
		fs.Errorf(path.String(), "Invalid value %q: must be positive", value)
	}
	return fs
}

// checkRollbackSchema validates a rollback (whose CRD schema is left open, the type being
// recursive) against the schema of an action, as the API server would if it could.
func checkRollbackSchema(path *field.Path, rollback *v1alpha1.Action) Findings {
	var fs Findings
	v, err := actionValidator()
	if err != nil {
		fs.Errorf(path.String(), "internal error: %v", err)
		return fs
	}
	data, err := json.Marshal(rollback)
	if err != nil {
		fs.Errorf(path.String(), "%v", err)
		return fs
	}
	var obj map[string]any
	_ = json.Unmarshal(data, &obj)
	if obj["name"] == "" {
		obj["name"] = "rollback" // a rollback is named after its action
	}
	for _, e := range validateAgainst(v, obj, path) {
		fs.Errorf(e.Field, "%s", schemaMessage(e))
	}
	return fs
}

// HookTypes are the Helm lifecycles a hook action can belong to (hookType).
var HookTypes = []string{"pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-delete", "post-delete", "pre-rollback", "post-rollback"}

// modeLiteral finds a mode written as the enum spells it, which a condition never equals: the
// condition sees the mode lower-cased.
var modeLiteral = regexp.MustCompile(`["'](Install|Upgrade|Delete|Rollback)["']`)

// checkWhen compiles an action's condition as the run will.
func checkWhen(path *field.Path, expr string) Findings {
	var fs Findings
	if expr == "" {
		return fs
	}
	c, err := when.Compile(expr)
	if err != nil {
		fs.Errorf(path.String(), "Invalid value %q: %v", expr, err)
		return fs
	}
	if m := modeLiteral.FindStringSubmatch(expr); m != nil && c.ReadsMode() {
		fs.Warnf(path.String(), "a condition sees the mode lower-cased: write %q, not %q", strings.ToLower(m[1]), m[1])
	}
	return fs
}
