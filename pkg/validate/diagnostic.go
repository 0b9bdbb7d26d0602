package validate

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity orders diagnostics: errors fail validation, warnings fail it only with --strict, infos
// never do.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is what a rule reports about one object: a field path inside it and a message.
type Finding struct {
	Severity Severity
	// Field is the path inside the object, e.g. "spec.actions[2].http.url"; empty for the object.
	Field   string
	Message string
}

// Findings is a list of findings with helpers for rule code.
type Findings []Finding

// Errorf adds an error at field.
func (fs *Findings) Errorf(field, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: SeverityError, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning at field.
func (fs *Findings) Warnf(field, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: SeverityWarning, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Diagnostic is a finding placed in a file: the unit `drctl validate` prints. Its JSON form is
// the stable output of `drctl validate -o json`.
type Diagnostic struct {
	Severity  Severity `json:"severity"`
	File      string   `json:"file"`
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	Kind      string   `json:"kind,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name,omitempty"`
	Field     string   `json:"field,omitempty"`
	Message   string   `json:"message"`
}

// Location is "file:line:col" (or less where the line is unknown).
func (d Diagnostic) Location() string {
	switch {
	case d.Line == 0:
		return d.File
	case d.Column == 0:
		return fmt.Sprintf("%s:%d", d.File, d.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Column)
	}
}

// Object is "Kind namespace/name" of the document the diagnostic is about, or "" for file-level ones.
func (d Diagnostic) Object() string {
	if d.Kind == "" {
		return ""
	}
	name := d.Name
	if d.Namespace != "" {
		name = d.Namespace + "/" + name
	}
	return d.Kind + " " + name
}

// String is the one-line text form: "file:line:col: severity: Kind ns/name: field: message".
func (d Diagnostic) String() string {
	s := d.Location() + ": " + string(d.Severity) + ": "
	if o := d.Object(); o != "" {
		s += o + ": "
	}
	if d.Field != "" {
		s += d.Field + ": "
	}
	return s + d.Message
}

// Sort orders diagnostics by file, line, column, then severity and message, so output is stable.
func Sort(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Count returns the number of diagnostics of each severity.
func Count(ds []Diagnostic) (errors, warnings int) {
	for _, d := range ds {
		switch d.Severity {
		case SeverityError:
			errors++
		case SeverityWarning:
			warnings++
		}
	}
	return errors, warnings
}
