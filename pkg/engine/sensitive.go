package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// Redacted replaces a sensitive value wherever drctl writes: the execution's record, its events,
// logs, progress, the live view and dry-run output.
const Redacted = "REDACTED"

// minRedactedLength is the shortest value searched for in free text: a one- or two-character
// value would blank out every message. A shorter sensitive value is still kept out of
// resolvedParams.
const minRedactedLength = 4

// redactor removes sensitive parameter values, and credentials written in URLs, from text; from
// a request it shows, the values of credential headers too.
type redactor struct {
	replacer *strings.Replacer
	// headers are the header names the user marked sensitive (Config.SensitiveHeaders).
	headers []string
}

// newRedactor returns a redactor of values; with none it still redacts URL credentials.
func newRedactor(values []string) *redactor {
	var forms []string
	for _, v := range values {
		if len(v) < minRedactedLength {
			continue
		}
		forms = append(forms, valueForms(v)...)
	}
	// Longest first: a value that contains another is replaced whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	forms = slices.Compact(forms)
	r := &redactor{}
	if len(forms) > 0 {
		pairs := make([]string, 0, 2*len(forms))
		for _, f := range forms {
			pairs = append(pairs, f, Redacted)
		}
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r
}

// valueForms are the ways a value appears in what drctl writes: as written; inside a JSON
// string, with and without HTML escaping (a rendered body, a recorded object); escaped for a URL's
// query, whole path or path segments (renderURL); single-quoted YAML; and line by line, as a YAML
// block scalar writes a multi-line value (a PEM key, say).
func valueForms(v string) []string {
	htmlEscaped, _ := json.Marshal(v)
	segments := strings.Split(v, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	forms := []string{v, strings.Trim(jsonString(v), `"`), strings.Trim(string(htmlEscaped), `"`),
		url.QueryEscape(v), url.PathEscape(v), strings.Join(segments, "/"), strings.ReplaceAll(v, "'", "''")}
	if strings.Contains(v, "\n") {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); len(line) >= minRedactedLength {
				forms = append(forms, line)
			}
		}
	}
	return forms
}

var (
	// urlUserinfo is the password of https://user:password@host.
	urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@`)
	// urlSecretQuery is a query value whose name says it is a credential: ?access_token=…,
	// &api_key=…, &X-Amz-Signature=…, &password=…
	urlSecretQuery = regexp.MustCompile(`(?i)([?&][\w.-]*(?:token|key|password|passwd|secret|signature|sig|credential|auth)=)[^&#\s"'<>]+`)
)

// credentialJSONField is a JSON string field whose name says it holds a credential:
// "access_token": "…", "password": "…".
var credentialJSONField = regexp.MustCompile(`(?i)("[\w.-]*(?:token|password|passwd|secret|api_?key|credential)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// RedactCredentials returns s with the credentials it shows by their form replaced by Redacted:
// a URL's password, a query value named like a credential, a JSON field named like one. It is
// for text drctl reports from a record (a response body, a URL written in a plan), where the
// run's sensitive values are already redacted.
func RedactCredentials(s string) string {
	s = (*redactor)(nil).String(s)
	return credentialJSONField.ReplaceAllString(s, "${1}\""+Redacted+"\"")
}

// String returns s with every sensitive value and URL credential replaced by Redacted.
func (r *redactor) String(s string) string {
	if s == "" {
		return s
	}
	s = r.values(s)
	if strings.Contains(s, "://") {
		s = urlUserinfo.ReplaceAllString(s, "${1}:"+Redacted+"@")
	}
	if strings.Contains(s, "=") {
		s = urlSecretQuery.ReplaceAllString(s, "${1}"+Redacted)
	}
	return s
}

// values returns s with every sensitive value replaced by Redacted.
func (r *redactor) values(s string) string {
	if r == nil || r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Outputs returns outputs with the sensitive values in the text an action received (a response
// body, named values) redacted. Only known values: a later action, a resume or a revert reads
// outputs, so a presigned URL in a body must stay whole. References to objects are names.
func (r *redactor) Outputs(o *v1alpha1.ActionOutputs) *v1alpha1.ActionOutputs {
	if o == nil {
		return nil
	}
	out := o.DeepCopy()
	if h := out.HTTPResponse; h != nil {
		h.Body = r.values(h.Body)
	}
	for k, v := range out.Values {
		out.Values[k] = r.values(v)
	}
	return out
}

// Action returns a copy of a rendered action with every string redacted (what the live view's
// detail pane and dry-run show).
func (r *redactor) Action(a *v1alpha1.Action) *v1alpha1.Action {
	if a == nil {
		return nil
	}
	// What cannot be redacted is not shown: the action's name and type only.
	bare := &v1alpha1.Action{Name: a.Name, Type: a.Type}
	data, err := json.Marshal(a)
	if err != nil {
		return bare
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return bare
	}
	generic = r.walk(generic)
	data, err = json.Marshal(generic)
	if err != nil {
		return bare
	}
	out := &v1alpha1.Action{}
	if err := json.Unmarshal(data, out); err != nil {
		return bare
	}
	for _, h := range []*v1alpha1.HTTPAction{out.HTTP, rollbackHTTP(out)} {
		if h == nil {
			continue
		}
		for name := range h.Headers {
			if actions.IsSensitiveHeader(name, r.sensitiveHeaders()) {
				h.Headers[name] = Redacted
			}
		}
	}
	return out
}

func (r *redactor) sensitiveHeaders() []string {
	if r == nil {
		return nil
	}
	return r.headers
}

func rollbackHTTP(a *v1alpha1.Action) *v1alpha1.HTTPAction {
	if a.Rollback == nil {
		return nil
	}
	return a.Rollback.HTTP
}

func (r *redactor) walk(v any) any {
	switch t := v.(type) {
	case string:
		return r.String(t)
	case []any:
		for i := range t {
			t[i] = r.walk(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = r.walk(t[k])
		}
	}
	return v
}

// sensitiveParams names the parameters of a workflow run whose values are sensitive: any that a
// layer marks sensitive, and any a layer reads from a Secret and does not mark sensitive: false.
func sensitiveParams(layers ...[]v1alpha1.Parameter) []string {
	marked := map[string]bool{}
	for _, layer := range layers {
		for _, p := range layer {
			switch {
			case p.Sensitive != nil:
				marked[p.Name] = marked[p.Name] || *p.Sensitive
			case readsSecret(p):
				marked[p.Name] = true
			}
		}
	}
	var names []string
	for name, sensitive := range marked {
		if sensitive {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func readsSecret(p v1alpha1.Parameter) bool {
	from := p.ValueFrom
	if from == nil {
		return false
	}
	ref := from.ManifestRef
	return from.SecretKeyRef != nil || ref != nil && ref.Kind == "Secret" && ref.APIVersion == "v1"
}

// redactParams returns params with the values of names replaced by Redacted (a new map: the
// run's program keeps the real values).
func redactParams(params map[string]string, names []string) map[string]string {
	if len(names) == 0 || params == nil {
		return params
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		if slices.Contains(names, k) {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// restoreSensitive returns a copy of exec (its snapshots unpacked) whose resolvedParams hold the
// real values of its sensitive parameters, read again from where the run read them: the
// execution's params, the plan and the workflow's declarations (a Secret through valueFrom). The
// record keeps REDACTED; the copy is what a resume or a revert renders actions with.
func (e *Engine) restoreSensitive(ctx context.Context, exec *v1alpha1.DRPlanExecution) (*v1alpha1.DRPlanExecution, error) {
	out, err := UnpackedStatus(exec)
	if err != nil {
		return nil, err
	}
	var plan *v1alpha1.DRPlan
	for i := range out.Status.StageStatuses {
		ss := &out.Status.StageStatuses[i]
		seen := map[v1alpha1.ObjectReference]int{}
		for j := range ss.WorkflowExecutions {
			we := &ss.WorkflowExecutions[j]
			occurrence := seen[we.WorkflowRef]
			seen[we.WorkflowRef]++
			if len(we.SensitiveParams) == 0 {
				continue
			}
			fail := func(format string, args ...any) error {
				return invalidf("%s: the sensitive parameters %s of workflow %s (stage %s) are not recorded and must be read again, but %s",
					exec.Name, strings.Join(we.SensitiveParams, ", "), we.WorkflowRef.Name, ss.Name, fmt.Sprintf(format, args...))
			}
			if plan == nil {
				plan = &v1alpha1.DRPlan{}
				if err := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Spec.PlanRef), plan); err != nil {
					return nil, fail("DRPlan %s cannot be read: %v", exec.Spec.PlanRef, err)
				}
			}
			ref, ok := stageReference(plan, ss.Name, we.WorkflowRef, occurrence, exec.Spec.Mode == v1alpha1.ModeDelete)
			if !ok {
				return nil, fail("DRPlan %s no longer runs it in that stage", plan.Name)
			}
			if we.WorkflowSpec == nil {
				return nil, fail("the record has no snapshot of it")
			}
			values, err := resolveOnly(ctx, we.SensitiveParams, we.WorkflowSpec, plan, ref, out, e.valueFrom)
			if err != nil {
				return nil, fail("%v", err)
			}
			params := maps.Clone(we.ResolvedParams)
			if params == nil {
				params = map[string]string{}
			}
			for _, name := range we.SensitiveParams {
				v, ok := values[name]
				if !ok {
					return nil, fail("%s has no value now", name)
				}
				params[name] = v
			}
			we.ResolvedParams = params
		}
	}
	return out, nil
}

// resolveOnly resolves the parameters names of a workflow run, from the same layers as
// ResolveWorkflowParams, leaving out every other parameter: a revert must not fail because an
// object some other parameter was read from is gone.
func resolveOnly(ctx context.Context, names []string, wf *v1alpha1.DRWorkflowSpec, plan *v1alpha1.DRPlan, ref v1alpha1.WorkflowReference,
	exec *v1alpha1.DRPlanExecution, valueFrom ValueFromResolver) (map[string]string, error) {
	keep := func(params []v1alpha1.Parameter) []v1alpha1.Parameter {
		var out []v1alpha1.Parameter
		for _, p := range params {
			if slices.Contains(names, p.Name) {
				out = append(out, p)
			}
		}
		return out
	}
	wfOnly := wf.DeepCopy()
	wfOnly.Parameters = keep(wf.Parameters)
	planOnly := plan.DeepCopy()
	planOnly.Spec.GlobalParams = keep(plan.Spec.GlobalParams)
	refOnly := *ref.DeepCopy()
	refOnly.Params = keep(ref.Params)
	execOnly := exec.DeepCopy()
	execOnly.Spec.Params = keep(exec.Spec.Params)
	return ResolveWorkflowParams(ctx, wfOnly, planOnly, refOnly, execOnly, valueFrom)
}

// stageReference finds the reference of a stage that ran workflow wf, the occurrence-th of the
// references to wf in run order (a Delete run takes a stage's workflows last first).
func stageReference(plan *v1alpha1.DRPlan, stage string, wf v1alpha1.ObjectReference, occurrence int, reversed bool) (v1alpha1.WorkflowReference, bool) {
	for _, st := range plan.Spec.Stages {
		if st.Name != stage {
			continue
		}
		refs := slices.Clone(st.Workflows)
		if reversed {
			slices.Reverse(refs)
		}
		for _, ref := range refs {
			if ref.WorkflowRef.Name != wf.Name || validate.WorkflowNamespace(plan, ref.WorkflowRef) != wf.Namespace {
				continue
			}
			if occurrence == 0 {
				return ref, true
			}
			occurrence--
		}
	}
	return v1alpha1.WorkflowReference{}, false
}

// spreadSensitive makes sensitivity a property of a parameter's name across the run: a value
// one workflow declares sensitive is redacted in every workflow's resolvedParams that holds it
// (an execution's params reach every workflow). Each workflow's sensitiveParams becomes the
// sensitive names among its resolved parameters.
func spreadSensitive(st *v1alpha1.DRPlanExecutionStatus, planLevel []string) {
	union := slices.Clone(planLevel)
	for i := range st.StageStatuses {
		for _, we := range st.StageStatuses[i].WorkflowExecutions {
			union = append(union, we.SensitiveParams...)
		}
	}
	for i := range st.StageStatuses {
		for j := range st.StageStatuses[i].WorkflowExecutions {
			we := &st.StageStatuses[i].WorkflowExecutions[j]
			var names []string
			for _, name := range union {
				if _, ok := we.ResolvedParams[name]; ok && !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
			slices.Sort(names)
			we.SensitiveParams = names
		}
	}
}

// redactRecord replaces the values of sensitive parameters in a new execution's status by
// Redacted: in each workflow's resolvedParams, and in the plan-level snapshot for any name a
// workflow or the plan's own layers hold sensitive.
func redactRecord(st *v1alpha1.DRPlanExecutionStatus, planLevel []string) {
	names := slices.Clone(planLevel)
	for i := range st.StageStatuses {
		for j := range st.StageStatuses[i].WorkflowExecutions {
			we := &st.StageStatuses[i].WorkflowExecutions[j]
			we.ResolvedParams = redactParams(we.ResolvedParams, we.SensitiveParams)
			names = append(names, we.SensitiveParams...)
		}
	}
	st.ResolvedParams = redactParams(st.ResolvedParams, names)
}
