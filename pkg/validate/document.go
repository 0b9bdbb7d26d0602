package validate

import (
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// Document is one YAML or JSON document of an input file that holds a drctl kind.
type Document struct {
	// File is the path as given (or "<stdin>").
	File string
	// Line is the line of File where the document's text begins (after its "---" separator).
	Line int
	// APIVersion, Kind, Namespace and Name identify the object as written.
	APIVersion, Kind, Namespace, Name string
	// JSON is the document converted the way kubectl converts YAML.
	JSON []byte
	// Object is the typed object (*v1alpha1.DRWorkflow, *v1alpha1.DRPlan or
	// *v1alpha1.DRPlanExecution), or nil when the document could not be decoded into its type.
	Object runtime.Object

	// root is the document's YAML node, with lines relative to the document start.
	root *yaml.Node
}

// Diagnostic places a finding about this document in its file.
func (d *Document) Diagnostic(f Finding) Diagnostic {
	line, col := d.Position(f.Field)
	return Diagnostic{
		Severity: f.Severity, File: d.File, Line: line, Column: col,
		Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, Field: f.Field, Message: f.Message,
	}
}

// Position returns the line and column in File of the field at path ("spec.actions[2].http.url",
// "spec.http.headers[Authorization]"); for a path that does not exist, the position of its
// deepest existing ancestor.
func (d *Document) Position(path string) (line, col int) {
	node := d.root
	if node == nil {
		return d.Line, 1
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	line, col = node.Line, node.Column
	for _, step := range splitPath(path) {
		next, key := child(node, step)
		if next == nil {
			break
		}
		node = next
		line, col = node.Line, node.Column
		if key != nil { // point at the key: "url: ..." is where a reader looks
			line, col = key.Line, key.Column
		}
	}
	return line + d.Line - 1, col
}

// child steps from a mapping by key or from a sequence by index; for a mapping it also returns
// the key node.
func child(node *yaml.Node, step pathStep) (value, key *yaml.Node) {
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == step.name {
				return node.Content[i+1], node.Content[i]
			}
		}
	case yaml.SequenceNode:
		if step.index >= 0 && step.index < len(node.Content) {
			return node.Content[step.index], nil
		}
	}
	return nil, nil
}

// pathStep is one step of a field path: a name (or map key), or a list index.
type pathStep struct {
	name  string
	index int
}

// splitPath splits "spec.actions[2].http.headers[X-Token]" into steps.
func splitPath(path string) []pathStep {
	var steps []pathStep
	for i := 0; i < len(path); {
		switch path[i] {
		case '.':
			i++
		case '[':
			end := i + 1
			for end < len(path) && path[end] != ']' {
				end++
			}
			inner := path[i+1 : end]
			idx := -1
			if n, ok := atoi(inner); ok {
				idx = n
			}
			steps = append(steps, pathStep{name: inner, index: idx})
			i = end + 1
		default:
			end := i
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				end++
			}
			steps = append(steps, pathStep{name: path[i:end], index: -1})
			i = end
		}
	}
	return steps
}

func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
