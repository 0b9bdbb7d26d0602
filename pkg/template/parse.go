package template

import (
	"fmt"
	"regexp"
	"strings"
)

// RefKind says what a placeholder refers to.
type RefKind int

// Placeholder kinds.
const (
	// Param is $(params.<name>).
	Param RefKind = iota
	// Output is $(outputs.<action>.<field>), an output of an earlier action of the same workflow.
	Output
	// Builtin is $(planName), $(planNamespace) or $(executionName).
	Builtin
)

// Builtin names.
const (
	PlanName      = "planName"
	PlanNamespace = "planNamespace"
	ExecutionName = "executionName"
)

// Ref is one placeholder found in a string.
type Ref struct {
	Kind RefKind
	// Name is the parameter name (Param), the builtin name (Builtin) or the action name (Output).
	Name string
	// Field is the output field (Output only).
	Field string
	// Start and End are the byte offsets of the whole placeholder, End exclusive.
	Start, End int
	// Text is the placeholder as written.
	Text string
}

// String returns the canonical $(...) form of the reference.
func (r Ref) String() string {
	switch r.Kind {
	case Param:
		return "$(params." + r.Name + ")"
	case Output:
		return "$(outputs." + r.Name + "." + r.Field + ")"
	default:
		return "$(" + r.Name + ")"
	}
}

// SyntaxError is a malformed placeholder.
type SyntaxError struct {
	// Offset is the byte offset where the placeholder starts.
	Offset int
	// Text is the offending text (up to a reasonable length).
	Text string
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("template syntax error at offset %d in %q: %s", e.Offset, e.Text, e.Msg)
}

const namePattern = `[A-Za-z0-9_-]+`

var (
	// dollarRoots are the names that make a $(...) drctl's.
	dollarRoot  = regexp.MustCompile(`^(params|outputs)\.|^(planName|planNamespace|executionName)$`)
	paramExpr   = regexp.MustCompile(`^params\.(` + namePattern + `)$`)
	outputExpr  = regexp.MustCompile(`^outputs\.(` + namePattern + `)\.(` + namePattern + `)$`)
	builtinExpr = regexp.MustCompile(`^(planName|planNamespace|executionName)$`)
)

// Parse returns the placeholders in s in order of appearance, and the syntax errors among them.
// `$$(` escapes and `$(...)` of names drctl does not define are skipped.
func Parse(s string) ([]Ref, []error) {
	var refs []Ref
	var errs []error
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$$("):
			i += 3
		case strings.HasPrefix(s[i:], "$("):
			ref, next, err := parseDollar(s, i)
			if err != nil {
				errs = append(errs, err)
			} else if ref != nil {
				refs = append(refs, *ref)
			}
			i = next
		case strings.HasPrefix(s[i:], "{{"):
			ref, next, err := parseBraces(s, i)
			if err != nil {
				errs = append(errs, err)
			} else if ref != nil {
				refs = append(refs, *ref)
			}
			i = next
		default:
			i++
		}
	}
	return refs, errs
}

// parseDollar parses a $(...) at s[start:]; it returns a nil Ref for a $(...) that is not drctl's.
func parseDollar(s string, start int) (*Ref, int, error) {
	body := s[start+2:]
	end := strings.IndexByte(body, ')')
	if end < 0 {
		if dollarRoot.MatchString(strings.TrimSpace(firstWord(body))) {
			return nil, len(s), syntaxError(s, start, "missing closing ')'")
		}
		return nil, start + 2, nil
	}
	expr := body[:end]
	next := start + 2 + end + 1
	if !dollarRoot.MatchString(expr) {
		return nil, next, nil // $(VAR) of Kubernetes, $(cmd) of a shell: not ours
	}
	ref, msg := classify(expr)
	if ref == nil {
		return nil, next, syntaxError(s, start, msg)
	}
	ref.Start, ref.End, ref.Text = start, next, s[start:next]
	return ref, next, nil
}

// parseBraces parses a {{ ... }} at s[start:]; it returns a nil Ref for one that is not drctl's.
func parseBraces(s string, start int) (*Ref, int, error) {
	body := s[start+2:]
	end := strings.Index(body, "}}")
	trimmed := strings.TrimSpace(body)
	if end < 0 {
		if strings.HasPrefix(trimmed, ".") {
			return nil, len(s), syntaxError(s, start, "missing closing '}}'")
		}
		return nil, start + 2, nil
	}
	expr := strings.TrimSpace(body[:end])
	next := start + 2 + end + 2
	if !strings.HasPrefix(expr, ".") {
		return nil, next, nil // someone else's template (e.g. Alertmanager's {{ $labels.x }})
	}
	ref, msg := classify(expr[1:])
	if ref == nil {
		return nil, next, syntaxError(s, start, msg)
	}
	ref.Start, ref.End, ref.Text = start, next, s[start:next]
	return ref, next, nil
}

// classify turns "params.x", "outputs.a.f" or a builtin name into a Ref.
func classify(expr string) (*Ref, string) {
	if m := paramExpr.FindStringSubmatch(expr); m != nil {
		return &Ref{Kind: Param, Name: m[1]}, ""
	}
	if m := outputExpr.FindStringSubmatch(expr); m != nil {
		return &Ref{Kind: Output, Name: m[1], Field: m[2]}, ""
	}
	if builtinExpr.MatchString(expr) {
		return &Ref{Kind: Builtin, Name: expr}, ""
	}
	switch {
	case strings.HasPrefix(expr, "params."):
		return nil, fmt.Sprintf("invalid parameter reference %q: want params.<name> with letters, digits, '-' or '_'", expr)
	case strings.HasPrefix(expr, "outputs."):
		return nil, fmt.Sprintf("invalid output reference %q: want outputs.<action>.<field>", expr)
	default:
		return nil, fmt.Sprintf("unknown name %q: want params.<name>, outputs.<action>.<field>, planName, planNamespace or executionName", expr)
	}
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t\n\"'"); i >= 0 {
		return s[:i]
	}
	return s
}

func syntaxError(s string, start int, msg string) error {
	text := s[start:]
	if len(text) > 60 {
		text = text[:60] + "..."
	}
	return &SyntaxError{Offset: start, Text: text, Msg: msg}
}

// HasPlaceholder reports whether s contains a drctl placeholder, well-formed or not.
func HasPlaceholder(s string) bool {
	refs, errs := Parse(s)
	return len(refs) > 0 || len(errs) > 0
}
