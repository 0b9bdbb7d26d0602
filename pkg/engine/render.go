package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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

// RenderDocument expands the placeholders of a YAML or JSON document value by value: a value
// holding quotes, colons, braces or newlines stays exactly that string; an unquoted scalar that is
// exactly one placeholder is re-read as a scalar, so `replicas: $(params.replicas)` becomes a
// number (a value that would read as a mapping or list stays a string). Text with no placeholder
// is returned as written, and a JSON document keeps every byte outside its placeholders, so a
// receiver that checks a signature or compares bytes gets what the plan says.
func RenderDocument(text string, vars Vars, format actions.DocumentFormat) (string, error) {
	refs, values, err := lookupAll(text, vars)
	if err != nil {
		return "", err
	}
	if format == actions.DocumentURL {
		return renderURL(text, refs, values)
	}
	if len(refs) == 0 {
		if format == actions.DocumentYAML {
			if _, err := parseCollection(text); err != nil {
				return "", fmt.Errorf("manifest: %w", err)
			}
		}
		return template.Unescape(text), nil
	}
	if format == actions.DocumentAsWritten && looksLikeJSON(text) {
		if out, ok := renderJSON(text, refs, values); ok {
			return out, nil
		}
	}
	return renderYAML(text, refs, values, format, vars)
}

// lookupAll parses text and looks up the value of each placeholder; every syntax error and
// undefined name is reported at once.
func lookupAll(text string, vars Vars) ([]template.Ref, []string, error) {
	refs, errs := template.Parse(text)
	if len(errs) > 0 {
		return nil, nil, joinErrors(errs)
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
		return nil, nil, joinErrors(undefined)
	}
	return refs, values, nil
}

func looksLikeJSON(text string) bool {
	trimmed := strings.TrimSpace(text)
	return strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
}

// parseCollection parses text as one YAML document that is a mapping or a list.
func parseCollection(text string) (*yaml.Node, error) {
	root := &yaml.Node{}
	if err := yaml.Unmarshal([]byte(text), root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 || !isCollection(root.Content[0]) {
		return nil, fmt.Errorf("not a YAML object")
	}
	return root, nil
}

// renderYAML substitutes values into the parsed document: each placeholder is first replaced by
// a marker, the text parsed, and the marker in each scalar replaced by its value. Markers carry a
// random nonce absent from the text, so nothing a plan's author types can pass for one.
// Comments are dropped: a placeholder in a comment has no value to keep.
func renderYAML(text string, refs []template.Ref, values []string, format actions.DocumentFormat, vars Vars) (string, error) {
	m, marked, err := markPlaceholders(text, refs)
	if err != nil {
		return "", err
	}
	root, err := parseCollection(marked)
	if err != nil {
		if format == actions.DocumentYAML {
			return "", fmt.Errorf("manifest: %w", err)
		}
		return template.Render(text, vars.lookup) // plain text
	}
	if err := m.substitute(root, values); err != nil {
		return "", err
	}
	var out bytes.Buffer
	if format == actions.DocumentAsWritten && looksLikeJSON(text) {
		err = writeJSON(&out, root.Content[0])
	} else {
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		err = enc.Encode(root)
	}
	if err != nil {
		return "", err
	}
	if strings.Contains(out.String(), m.nonce) {
		return "", fmt.Errorf("a placeholder stands where drctl cannot put a value (a YAML tag, anchor or alias name)")
	}
	return out.String(), nil
}

// markers are the stand-ins of one renderYAML call: nonce, the placeholder's index, "_".
type markers struct {
	nonce   string
	pattern *regexp.Regexp
}

// markPlaceholders replaces each placeholder of text by its marker and unescapes the text
// between them.
func markPlaceholders(text string, refs []template.Ref) (*markers, string, error) {
	for range 8 {
		var raw [8]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, "", err
		}
		m := &markers{nonce: "drctl" + hex.EncodeToString(raw[:]) + "_"}
		if strings.Contains(text, m.nonce) {
			continue
		}
		m.pattern = regexp.MustCompile(regexp.QuoteMeta(m.nonce) + `(\d+)_`)
		var b strings.Builder
		last := 0
		for i, r := range refs {
			b.WriteString(template.Unescape(text[last:r.Start]))
			b.WriteString(m.nonce + strconv.Itoa(i) + "_")
			last = r.End
		}
		b.WriteString(template.Unescape(text[last:]))
		if marked := b.String(); strings.Count(marked, m.nonce) == len(refs) {
			return m, marked, nil
		}
	}
	return nil, "", fmt.Errorf("could not choose placeholder markers absent from the text")
}

// value returns the value of the marker whose index is the submatch idx.
func (m *markers) value(idx string, values []string) (string, error) {
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(values) {
		return "", fmt.Errorf("internal error: placeholder marker %q out of range", idx)
	}
	return values[i], nil
}

// substitute replaces markers in every scalar (keys included) below n, and drops comments.
func (m *markers) substitute(n *yaml.Node, values []string) error {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if err := m.substitute(c, values); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		matches := m.pattern.FindAllStringSubmatchIndex(n.Value, -1)
		if len(matches) == 0 {
			return nil
		}
		if whole := matches[0]; len(matches) == 1 && n.Style == 0 && whole[0] == 0 && whole[1] == len(n.Value) {
			v, err := m.value(n.Value[whole[2]:whole[3]], values)
			if err != nil {
				return err
			}
			if reread(n, v) {
				return nil
			}
		}
		var b strings.Builder
		last := 0
		for _, mt := range matches {
			v, err := m.value(n.Value[mt[2]:mt[3]], values)
			if err != nil {
				return err
			}
			b.WriteString(n.Value[last:mt[0]])
			b.WriteString(v)
			last = mt[1]
		}
		b.WriteString(n.Value[last:])
		n.Value = b.String()
		n.Tag = "!!str" // the encoder quotes or blocks the value as it needs
	}
	return nil
}

func isCollection(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode
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

// renderJSON substitutes values into a JSON document by position, leaving every other byte as
// written: a placeholder inside a JSON string gets the value escaped for a string; one outside a
// string gets the value itself when it is a JSON number, true, false, null or string, and the
// value as a JSON string otherwise. It reports false when the result is not valid JSON (the text
// was YAML that looks like JSON, say).
func renderJSON(text string, refs []template.Ref, values []string) (string, bool) {
	var b strings.Builder
	inString, escaped := false, false
	pos, last := 0, 0
	for i, r := range refs {
		for ; pos < r.Start; pos++ {
			switch c := text[pos]; {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
		b.WriteString(template.Unescape(text[last:r.Start]))
		if inString {
			b.WriteString(strings.TrimSuffix(strings.TrimPrefix(jsonString(values[i]), `"`), `"`))
		} else {
			b.WriteString(jsonValue(values[i]))
		}
		pos, last, escaped = r.End, r.End, false
	}
	b.WriteString(template.Unescape(text[last:]))
	out := b.String()
	return out, json.Valid([]byte(out))
}

// jsonString is s as a JSON string, with <, > and & as written (they need no escaping in JSON).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonValue is what an unquoted placeholder in JSON becomes: a JSON scalar as written, anything
// else (text, an object, a list) a JSON string.
func jsonValue(v string) string {
	trimmed := strings.TrimSpace(v)
	if trimmed != "" && !strings.ContainsAny(trimmed[:1], "{[") && json.Valid([]byte(trimmed)) {
		return trimmed
	}
	return jsonString(v)
}
