package validate

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

// dummy stands in for placeholders when a field's shape is checked before values are known.
const dummy = "placeholder"

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
	switch a.Type {
	case v1alpha1.ActionHTTP:
		fs = append(fs, checkHTTP(path.Child("http"), a.HTTP)...)
	case v1alpha1.ActionJob:
		fs = append(fs, checkJob(path.Child("job"), a.Job)...)
	case v1alpha1.ActionKubernetesResource:
		fs = append(fs, checkResource(path.Child("resource"), a.Resource)...)
	case v1alpha1.ActionLocalization:
		if l := a.Localization; l != nil {
			fs = append(fs, checkClusternetSpec(path.Child("localization"), string(l.Operation), l.Spec != nil, l.Spec != nil && l.Spec.Feed != nil, "Localization")...)
		}
	case v1alpha1.ActionGlobalization:
		if g := a.Globalization; g != nil {
			fs = append(fs, checkClusternetSpec(path.Child("globalization"), string(g.Operation), g.Spec != nil, g.Spec != nil && g.Spec.Feed != nil, "Globalization")...)
		}
	case v1alpha1.ActionHelmChart:
		if h := a.HelmChart; h != nil {
			fs = append(fs, checkClusternetSpec(path.Child("helmChart"), string(h.Operation), h.Spec != nil, true, "HelmChart")...)
		}
	case v1alpha1.ActionSubscription:
		if s := a.Subscription; s != nil {
			op := operationOrCreate(string(s.Operation))
			if s.Spec == nil && (op == "Create" || op == "Apply" || op == "Replace" || op == "Patch") {
				fs.Errorf(path.Child("subscription", "spec").String(), "Required value: operation %s needs spec (Create, Apply and Replace need feeds and subscribers)", op)
			}
		}
	}
	if rollback {
		if a.Rollback != nil {
			fs.Errorf(path.Child("rollback").String(), "Forbidden: a rollback cannot have a rollback of its own")
		}
		return fs
	}
	if op, ok := patchOperation(a); ok && a.Rollback == nil {
		fs.Errorf(path.Child("rollback").String(), "Required value: %s operation %s needs a rollback: the inverse of a patch cannot be inferred (FR-004a/c/h)", a.Type, op)
	}
	return fs
}

// configs lists the configuration field of each action type, by JSON name.
var configs = map[v1alpha1.ActionType]string{
	v1alpha1.ActionHTTP: "http", v1alpha1.ActionJob: "job", v1alpha1.ActionLocalization: "localization",
	v1alpha1.ActionGlobalization: "globalization", v1alpha1.ActionHelmChart: "helmChart",
	v1alpha1.ActionSubscription: "subscription", v1alpha1.ActionKubernetesResource: "resource",
}

// checkTypeConfig requires the configuration field of the action's type and forbids the others,
// so an action can never mean two things.
func checkTypeConfig(path *field.Path, a *v1alpha1.Action) Findings {
	var fs Findings
	set := map[string]bool{
		"http": a.HTTP != nil, "job": a.Job != nil, "localization": a.Localization != nil,
		"globalization": a.Globalization != nil, "helmChart": a.HelmChart != nil,
		"subscription": a.Subscription != nil, "resource": a.Resource != nil,
	}
	want, known := configs[a.Type]
	if !known {
		return fs // unknown or missing type: the schema check reports it
	}
	if !set[want] {
		fs.Errorf(path.Child(want).String(), "Required value: an action of type %s needs %s", a.Type, want)
	}
	for _, name := range []string{"http", "job", "localization", "globalization", "helmChart", "subscription", "resource"} {
		if set[name] && name != want {
			fs.Errorf(path.Child(name).String(), "Forbidden: %s is set but the action's type is %s (it would be ignored)", name, a.Type)
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

func checkHTTP(path *field.Path, h *v1alpha1.HTTPAction) Findings {
	var fs Findings
	if h == nil {
		return fs
	}
	if h.URL == "" {
		fs.Errorf(path.Child("url").String(), "Required value: an HTTP action needs a url")
	} else if msg := urlProblem(h.URL); msg != "" {
		fs.Errorf(path.Child("url").String(), "Invalid value %q: %s", h.URL, msg)
	}
	for i, c := range h.SuccessCodes {
		if c < 100 || c > 599 {
			fs.Errorf(path.Child("successCodes").Index(i).String(), "Invalid value %d: not an HTTP status code (100-599)", c)
		}
	}
	return fs
}

// urlProblem says why s is not an absolute http(s) URL once its placeholders are replaced by
// dummies, or "" when it is. A leading placeholder may carry the scheme and host.
func urlProblem(s string) string {
	refs, errs := template.Parse(s)
	if len(errs) > 0 {
		return "" // reported as a template error
	}
	rendered := s
	if len(refs) > 0 {
		var b strings.Builder
		last := 0
		for _, r := range refs {
			b.WriteString(s[last:r.Start])
			if r.Start == 0 {
				b.WriteString("http://" + dummy + ".invalid")
			} else {
				b.WriteString(dummy)
			}
			last = r.End
		}
		b.WriteString(s[last:])
		rendered = b.String()
	}
	u, err := url.Parse(rendered)
	switch {
	case err != nil:
		return "not a URL: " + strings.TrimPrefix(err.Error(), "parse "+strconv.Quote(rendered)+": ")
	case u.Scheme != "http" && u.Scheme != "https":
		return "not an http or https URL"
	case u.Host == "":
		return "the URL has no host"
	}
	return ""
}

func checkJob(path *field.Path, j *v1alpha1.JobAction) Findings {
	var fs Findings
	if j == nil {
		return fs
	}
	if len(j.Template.Spec.Template.Spec.Containers) == 0 {
		fs.Errorf(path.Child("template", "spec", "template", "spec", "containers").String(), "Required value: a Job needs at least one container")
	}
	for i, c := range j.Template.Spec.Template.Spec.Containers {
		if c.Image == "" {
			fs.Errorf(path.Child("template", "spec", "template", "spec", "containers").Index(i).Child("image").String(), "Required value: container %q needs an image", c.Name)
		}
	}
	if t := j.TTLSecondsAfterFinished; t != nil && *t < 0 {
		fs.Errorf(path.Child("ttlSecondsAfterFinished").String(), "Invalid value %d: must be 0 or more", *t)
	}
	return fs
}

func checkResource(path *field.Path, r *v1alpha1.KubernetesResourceAction) Findings {
	var fs Findings
	if r == nil {
		return fs
	}
	mp := path.Child("manifest").String()
	op := operationOrCreate(string(r.Operation))
	if r.PatchType == v1alpha1.PatchJSON && op == "Patch" {
		fs.Errorf(path.Child("patchType").String(), "Unsupported value %q: a manifest names one object and cannot carry a JSON patch's list of operations; use Merge or Strategic", r.PatchType)
	}
	if r.PatchType != "" && op != "Patch" {
		fs.Warnf(path.Child("patchType").String(), "patchType applies to operation Patch only; it is ignored for %s", op)
	}
	if r.Force && op != "Apply" {
		fs.Warnf(path.Child("force").String(), "force applies to operation Apply only; it is ignored for %s", op)
	}
	if r.Manifest == "" {
		fs.Errorf(mp, "Required value: a KubernetesResource action needs a manifest")
		return fs
	}
	rendered, err := template.Render(r.Manifest, func(template.Ref) (string, bool) { return dummy, true })
	if err != nil {
		return fs // template errors are reported by the template check
	}
	dec := yaml.NewDecoder(strings.NewReader(rendered))
	var objs []map[string]any
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if err != nil {
			if err.Error() != "EOF" {
				fs.Errorf(mp, "malformed manifest: %s", strings.TrimPrefix(err.Error(), "yaml: "))
				return fs
			}
			break
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	if len(objs) != 1 {
		fs.Errorf(mp, "Invalid value: the manifest must hold exactly one object, found %d", len(objs))
		return fs
	}
	obj := objs[0]
	for _, key := range []string{"apiVersion", "kind"} {
		if s, _ := obj[key].(string); s == "" {
			fs.Errorf(mp, "Required value: the manifest has no %s", key)
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); name == "" {
		fs.Errorf(mp, "Required value: the manifest has no metadata.name (drctl acts on one named object; generateName is not supported)")
	}
	return fs
}

// checkClusternetSpec requires what each operation of a Clusternet action needs: Create and Apply
// a spec (with a feed for Localization and Globalization), Patch a spec to patch with.
func checkClusternetSpec(path *field.Path, operation string, hasSpec, hasFeed bool, kind string) Findings {
	var fs Findings
	op := operationOrCreate(operation)
	sp := path.Child("spec")
	switch {
	case op == "Delete":
	case !hasSpec:
		fs.Errorf(sp.String(), "Required value: %s operation %s needs spec", kind, op)
	case !hasFeed && (op == "Create" || op == "Apply"):
		fs.Errorf(sp.Child("feed").String(), "Required value: %s operation %s needs spec.feed (the object it overrides)", kind, op)
	}
	return fs
}

func operationOrCreate(op string) string {
	if op == "" {
		return "Create"
	}
	return op
}

// patchOperation reports whether the action patches an object, which has no automatic inverse.
func patchOperation(a *v1alpha1.Action) (string, bool) {
	var op string
	switch {
	case a.Type == v1alpha1.ActionLocalization && a.Localization != nil:
		op = string(a.Localization.Operation)
	case a.Type == v1alpha1.ActionGlobalization && a.Globalization != nil:
		op = string(a.Globalization.Operation)
	case a.Type == v1alpha1.ActionHelmChart && a.HelmChart != nil:
		op = string(a.HelmChart.Operation)
	case a.Type == v1alpha1.ActionSubscription && a.Subscription != nil:
		op = string(a.Subscription.Operation)
	case a.Type == v1alpha1.ActionKubernetesResource && a.Resource != nil:
		op = string(a.Resource.Operation)
	}
	return op, op == string(v1alpha1.OperationPatch)
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
