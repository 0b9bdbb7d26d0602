package validate

import (
	"regexp"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

// paramName is what a parameter may be called: the characters a placeholder can name.
var paramName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ReservedParamMode is the parameter name that spec.mode owns in an execution.
const ReservedParamMode = "mode"

// paramRole says whether a parameter list declares parameters (a workflow's spec.parameters) or
// supplies values (plan globalParams, stage params, execution params).
type paramRole int

const (
	declares paramRole = iota
	supplies
)

// uniqueNames reports every name of the list at path (names[i] is item i's) that an earlier item
// already has, and returns where each name first appears.
func uniqueNames(path *field.Path, names []string) (Findings, map[string]int) {
	var fs Findings
	first := map[string]int{}
	for i, n := range names {
		if j, dup := first[n]; dup && n != "" {
			fs.Errorf(path.Index(i).Child("name").String(), "Duplicate value %q: also the name of %s", n, path.Index(j))
		} else if !dup {
			first[n] = i
		}
	}
	return fs, first
}

// MaxParams is the most parameters one list (a workflow's declarations, a plan's globalParams, a
// stage's or a run's params) may hold: every stage reference is checked against its workflow's.
const MaxParams = 1000

// checkParams checks a parameter list: names valid and unique, values of the declared type, no
// placeholders inside values (parameters may not reference parameters), value and valueFrom not
// both. A supplied parameter with default but no value is honoured as the value, with a warning.
func checkParams(path *field.Path, params []v1alpha1.Parameter, role paramRole) Findings {
	if n := len(params); n > MaxParams {
		var fs Findings
		fs.Errorf(path.String(), "Too many: %d parameters: drctl takes at most %d in one list", n, MaxParams)
		return fs
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	fs, _ := uniqueNames(path, names)
	for i, p := range params {
		pp := path.Index(i)
		switch {
		case p.Name == "":
			fs.Errorf(pp.Child("name").String(), "Required value: a parameter needs a name")
		case !paramName.MatchString(p.Name):
			fs.Errorf(pp.Child("name").String(), "Invalid value %q: a parameter name may contain only letters, digits, '-' and '_'", p.Name)
		}
		for _, v := range []struct {
			field string
			value *string
		}{{"value", p.Value}, {"default", p.Default}} {
			if v.value == nil {
				continue
			}
			if template.HasPlaceholder(*v.value) {
				fs.Errorf(pp.Child(v.field).String(), "Invalid value %q: a parameter value may not contain a placeholder (parameters cannot reference parameters)", *v.value)
				continue
			}
			if msg := TypeMismatch(p.Type, *v.value); msg != "" {
				fs.Errorf(pp.Child(v.field).String(), "Invalid value %q: %s", *v.value, msg)
			}
		}
		if p.ValueFrom != nil && p.Value != nil {
			fs.Errorf(pp.Child("valueFrom").String(), "Forbidden: value and valueFrom are mutually exclusive")
		}
		if msg := ParamReach(p); msg != "" {
			fs.Warnf(pp.Child("valueFrom").String(), "%s with the identity of whoever runs the plan", msg)
		}
		if from := p.ValueFrom; from != nil {
			switch {
			case from.ManifestRef != nil && from.SecretKeyRef != nil:
				fs.Errorf(pp.Child("valueFrom").String(), "Forbidden: manifestRef and secretKeyRef are mutually exclusive")
			case from.ManifestRef == nil && from.SecretKeyRef == nil:
				fs.Errorf(pp.Child("valueFrom").String(), "Required value: valueFrom needs manifestRef or secretKeyRef")
			}
		}
		if p.Sensitive != nil && !*p.Sensitive && p.ValueFrom != nil && p.ValueFrom.SecretKeyRef != nil {
			fs.Warnf(pp.Child("sensitive").String(), "parameter %q reads a Secret and says sensitive: false: its value will be written to the execution's record, events and logs", p.Name)
		}
		if ref := valueFromRef(p); ref != nil && ref.Name != "" && ref.LabelSelector != "" {
			fs.Errorf(pp.Child("valueFrom", "manifestRef").String(), "Forbidden: name and labelSelector are mutually exclusive")
		}
		if role == supplies && p.Value == nil && p.Default != nil && p.ValueFrom == nil {
			fs.Warnf(pp.Child("default").String(), "parameter %q supplies its value with default; use value (drctl uses %q as the value)", p.Name, *p.Default)
		}
	}
	return fs
}

func valueFromRef(p v1alpha1.Parameter) *v1alpha1.ManifestRef {
	if p.ValueFrom == nil {
		return nil
	}
	return p.ValueFrom.ManifestRef
}

// TypeMismatch says why value is not of type t, or "" when it is. The engine applies the same rule
// to the values a run resolves.
func TypeMismatch(t v1alpha1.ParameterType, value string) string {
	switch t {
	case v1alpha1.ParameterTypeNumber:
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return "not a number (the parameter's type is number)"
		}
	case v1alpha1.ParameterTypeBoolean:
		if value != "true" && value != "false" {
			return "not a boolean: want true or false (the parameter's type is boolean)"
		}
	}
	return ""
}

// suppliedValue returns the value a supplied parameter provides: value, else default (honoured
// with a warning), and whether it provides one at all (valueFrom provides one at run time).
func suppliedValue(p v1alpha1.Parameter) (value string, known, provided bool) {
	switch {
	case p.Value != nil:
		return *p.Value, true, true
	case p.ValueFrom != nil:
		return "", false, true
	case p.Default != nil:
		return *p.Default, true, true
	}
	return "", false, false
}

// IsRequired reports whether a workflow parameter must be supplied by the plan or the execution:
// it has no valueFrom to read its value from, and it says required: true or has no default or
// value to fall back on.
func IsRequired(p v1alpha1.Parameter) bool {
	if p.ValueFrom != nil {
		return false // the run reads it from the cluster (a failed read fails the run, saying so)
	}
	return p.Required || (p.Default == nil && p.Value == nil)
}
