package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

// Vars are the values placeholders expand to.
type Vars struct {
	Params        map[string]string
	PlanName      string
	PlanNamespace string
	ExecutionName string
	// Outputs are the outputs of the actions that ran before, by action name and field.
	Outputs map[string]map[string]string

	// anyOutput makes every output reference expand to a stand-in: preflight renders before
	// anything has run (validation has checked that each names an earlier action).
	anyOutput bool
}

func (v Vars) lookup(r template.Ref) (string, bool) {
	switch r.Kind {
	case template.Param:
		val, ok := v.Params[r.Name]
		return val, ok
	case template.Output:
		if v.anyOutput {
			return "output", true
		}
		val, ok := v.Outputs[r.Name][r.Field]
		return val, ok
	}
	switch r.Name {
	case template.PlanName:
		return v.PlanName, true
	case template.PlanNamespace:
		return v.PlanNamespace, true
	case template.ExecutionName:
		return v.ExecutionName, true
	}
	return "", false
}

// RenderAction returns a copy of a (and of its rollback) with every placeholder expanded, in one
// pass. Strings are substituted as text, except documents inside strings, which are substituted
// value by value so that any value yields a valid document holding exactly that value:
// resource.manifest (YAML), http.body and Clusternet override values (JSON or YAML, kept in the
// format they are written in). Every undefined name and syntax error is reported.
func RenderAction(a *v1alpha1.Action, vars Vars) (*v1alpha1.Action, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	var errs []string
	generic = renderValue("", generic, vars, &errs)
	if len(errs) > 0 {
		return nil, fmt.Errorf("render action %q: %s", a.Name, strings.Join(errs, "; "))
	}
	data, err = json.Marshal(generic)
	if err != nil {
		return nil, err
	}
	out := &v1alpha1.Action{}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("render action %q: %w", a.Name, err)
	}
	return out, nil
}

// documentFields are the document fields of every action type (actions.Type.Documents), as
// patterns over the paths renderValue walks; a rollback's fields are the same, under "rollback.".
var documentFields = func() map[*regexp.Regexp]actions.DocumentFormat {
	m := map[*regexp.Regexp]actions.DocumentFormat{}
	for _, t := range actions.Types() {
		for _, d := range t.Documents {
			p := strings.ReplaceAll(regexp.QuoteMeta(d.Path), `\[\*\]`, `\[\d+\]`)
			m[regexp.MustCompile(`^(rollback\.)?`+p+`$`)] = d.Format
		}
	}
	return m
}()

// documentFormatOf is how the field at path is rendered, if it holds a document.
func documentFormatOf(path string) (actions.DocumentFormat, bool) {
	for re, f := range documentFields {
		if re.MatchString(path) {
			return f, true
		}
	}
	return 0, false
}

func renderValue(path string, v any, vars Vars, errs *[]string) any {
	switch t := v.(type) {
	case string:
		var out string
		var err error
		if format, ok := documentFormatOf(path); ok {
			out, err = RenderDocument(t, vars, format)
		} else {
			out, err = template.Render(t, vars.lookup)
		}
		if err != nil {
			*errs = append(*errs, fmt.Sprintf("%s: %v", path, err))
			return t
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = renderValue(fmt.Sprintf("%s[%d]", path, i), e, vars, errs)
		}
	case map[string]any:
		for k, e := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			t[k] = renderValue(p, e, vars, errs)
		}
	}
	return v
}

// sentinel stands for placeholder i while a document is parsed; it is a plain YAML scalar.
func sentinel(i int) string { return fmt.Sprintf("__drctl_placeholder_%d__", i) }

var sentinelPattern = regexp.MustCompile(`__drctl_placeholder_(\d+)__`)

// RenderDocument expands the placeholders of a YAML or JSON document value by value: a value
// holding quotes, colons, braces or newlines stays exactly that string; an unquoted scalar that is
// exactly one placeholder is re-read as a YAML scalar, so `replicas: $(params.replicas)` becomes
// a number (a value that would read as a mapping or list stays a string).
func RenderDocument(text string, vars Vars, format actions.DocumentFormat) (string, error) {
	refs, errs := template.Parse(text)
	if len(errs) > 0 {
		return "", joinErrors(errs)
	}
	values := make([]string, len(refs))
	var undefined []error
	for i, r := range refs {
		v, ok := vars.lookup(r)
		if !ok {
			undefined = append(undefined, &template.UndefinedError{Ref: r})
		}
		values[i] = v
	}
	if len(undefined) > 0 {
		return "", joinErrors(undefined)
	}
	if sentinelPattern.MatchString(text) {
		return "", fmt.Errorf("the text contains drctl's reserved marker %q", "__drctl_placeholder_")
	}
	// Replace placeholders by sentinels, and unescape $$( in the text between them.
	var b strings.Builder
	last := 0
	for i, r := range refs {
		b.WriteString(strings.ReplaceAll(text[last:r.Start], "$$(", "$("))
		b.WriteString(sentinel(i))
		last = r.End
	}
	b.WriteString(strings.ReplaceAll(text[last:], "$$(", "$("))
	marked := b.String()

	trimmed := strings.TrimSpace(marked)
	root := &yaml.Node{}
	if err := yaml.Unmarshal([]byte(marked), root); err != nil || len(root.Content) == 0 || !isCollection(root.Content[0]) {
		if format == actions.DocumentYAML {
			if err == nil {
				err = fmt.Errorf("not a YAML object")
			}
			return "", fmt.Errorf("manifest: %w", err)
		}
		return template.Render(text, vars.lookup) // plain text
	}
	if err := substitute(root.Content[0], values); err != nil {
		return "", err
	}
	if format == actions.DocumentAsWritten && (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) {
		var out bytes.Buffer
		if err := writeJSON(&out, root.Content[0]); err != nil {
			return "", err
		}
		return out.String(), nil
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return "", err
	}
	return out.String(), nil
}

func isCollection(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode
}

// substitute replaces sentinels in every scalar (keys included) below n.
func substitute(n *yaml.Node, values []string) error {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if err := substitute(c, values); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		return nil
	case yaml.ScalarNode:
		if !sentinelPattern.MatchString(n.Value) {
			return nil
		}
		if m := sentinelPattern.FindStringSubmatchIndex(n.Value); n.Style == 0 && m[0] == 0 && m[1] == len(n.Value) {
			if reread(n, values[atoiMust(n.Value[m[2]:m[3]])]) {
				return nil
			}
		}
		n.Value = sentinelPattern.ReplaceAllStringFunc(n.Value, func(s string) string {
			return values[atoiMust(sentinelPattern.FindStringSubmatch(s)[1])]
		})
		n.Tag = "!!str" // the encoder quotes or blocks the value as it needs
	}
	return nil
}

// reread sets the scalar n to value read as YAML, when value reads as a single scalar.
func reread(n *yaml.Node, value string) bool {
	parsed := &yaml.Node{}
	if err := yaml.Unmarshal([]byte(value), parsed); err != nil {
		return false
	}
	if len(parsed.Content) == 0 { // empty value: YAML null would lose the "" the user gave
		return false
	}
	s := parsed.Content[0]
	if s.Kind != yaml.ScalarNode || strings.Contains(value, "\n") {
		return false
	}
	n.Value, n.Tag, n.Style = s.Value, s.Tag, s.Style
	return true
}

func atoiMust(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// writeJSON writes a YAML node tree as JSON, keeping the order of mapping keys.
func writeJSON(w *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		return writeJSON(w, n.Content[0])
	case yaml.MappingNode:
		w.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				w.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			w.Write(key)
			w.WriteByte(':')
			if err := writeJSON(w, n.Content[i+1]); err != nil {
				return err
			}
		}
		w.WriteByte('}')
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeJSON(w, c); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		w.Write(data)
	}
	return nil
}

func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
