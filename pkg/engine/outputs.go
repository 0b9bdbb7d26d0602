package engine

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
	"github.com/drctl/drctl/pkg/when"
)

// outputsRead returns which output fields of which actions the templates of a workflow read
// ($(outputs.<action>.<field>) in any action or rollback), so that the record keeps those in full.
func outputsRead(spec *v1alpha1.DRWorkflowSpec) map[string]map[string]bool {
	read := map[string]map[string]bool{}
	data, err := json.Marshal(spec.Actions)
	if err != nil {
		return read
	}
	refs, _ := template.Parse(string(data))
	for _, ref := range refs {
		if ref.Kind != template.Output {
			continue
		}
		if read[ref.Name] == nil {
			read[ref.Name] = map[string]bool{}
		}
		read[ref.Name][ref.Field] = true
	}
	// A condition that mentions a body reads it in full too (conservatively: any action it names).
	for _, a := range spec.Actions {
		for _, expr := range []string{a.When, rollbackWhen(a)} {
			c, err := when.Compile(expr)
			if expr == "" || err != nil || !strings.Contains(expr, "body") {
				continue
			}
			for _, name := range c.Outputs() {
				if read[name] == nil {
					read[name] = map[string]bool{}
				}
				read[name]["body"] = true
			}
		}
	}
	return read
}

func rollbackWhen(a v1alpha1.Action) string {
	if a.Rollback == nil {
		return ""
	}
	return a.Rollback.When
}

// OutputValues flattens an action's outputs into the fields $(outputs.<action>.<field>) reads:
// the name, namespace, kind, apiVersion and uid of the object it created or changed, whether that
// object existed before, the HTTP status code, body and latency, and any named values. They are
// derived here from the typed outputs, so the record stores each fact once.
func OutputValues(o *v1alpha1.ActionOutputs) map[string]string {
	if o == nil {
		return nil
	}
	out := map[string]string{}
	for _, ref := range []*corev1.ObjectReference{o.ResourceRef, o.JobRef, o.LocalizationRef, o.SubscriptionRef, o.GlobalizationRef, o.HelmChartRef} {
		if ref != nil {
			out["name"], out["namespace"], out["kind"], out["apiVersion"], out["uid"] = ref.Name, ref.Namespace, ref.Kind, ref.APIVersion, string(ref.UID)
		}
	}
	if o.ResourceExisted != nil {
		out["existed"] = strconv.FormatBool(*o.ResourceExisted)
	}
	if r := o.HTTPResponse; r != nil {
		out["statusCode"], out["body"], out["latency"] = strconv.Itoa(r.StatusCode), r.Body, r.Latency
	}
	maps.Copy(out, o.Values)
	return out
}
