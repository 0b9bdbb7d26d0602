package validate

import (
	"encoding/json"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/template"
)

// placeholderUse is one placeholder found in a field of an action.
type placeholderUse struct {
	Field string
	Ref   template.Ref
}

// templatedStrings calls fn for every string value inside v (an action, encoded as it is on the
// wire), with its field path under base. Every string of an action is templated: URLs, headers,
// bodies, manifests, Job templates, Clusternet specs.
func templatedStrings(base *field.Path, v any, fn func(path *field.Path, s string)) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return
	}
	walkStrings(base, generic, fn)
}

func walkStrings(path *field.Path, v any, fn func(*field.Path, string)) {
	switch t := v.(type) {
	case string:
		fn(path, t)
	case []any:
		for i, e := range t {
			walkStrings(path.Index(i), e, fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child := path.Child(k)
			if !isPlainName(k) {
				child = path.Key(k) // headers[X-Token], labels[app.kubernetes.io/name]
			}
			walkStrings(child, t[k], fn)
		}
	}
}

// isPlainName reports whether k can be written as .k in a field path.
func isPlainName(k string) bool {
	if k == "" {
		return false
	}
	if _, err := strconv.Atoi(k); err == nil {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// placeholders returns the placeholders used in an action and the syntax errors among them.
func placeholders(base *field.Path, action any) ([]placeholderUse, Findings) {
	var uses []placeholderUse
	var fs Findings
	templatedStrings(base, action, func(p *field.Path, s string) {
		refs, errs := template.Parse(s)
		for _, r := range refs {
			uses = append(uses, placeholderUse{Field: p.String(), Ref: r})
		}
		for _, e := range errs {
			fs.Errorf(p.String(), "%v", e)
		}
	})
	return uses, fs
}
