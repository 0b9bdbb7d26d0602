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
	paramExpr   = regexp.MustCompile(`^params\.(` + namePattern + `)$`)
	outputExpr  = regexp.MustCompile(`^outputs\.(` + namePattern + `)\.(` + namePattern + `)$`)
	builtinExpr = regexp.MustCompile(`^(planName|planNamespace|executionName)$`)
)

// Parse returns the placeholders in s in order of appearance, and the syntax errors among them.
// `$$(` escapes and `$(...)` of names drctl does not define are skipped. It runs in time linear
// in len(s), whatever s holds.
func Parse(s string) ([]Ref, []error) {
	var refs []Ref
	var errs []error
	for _, t := range scan(s) {
		switch {
		case t.err != nil:
			errs = append(errs, t.err)
		case t.ref != nil:
			refs = append(refs, *t.ref)
		}
	}
	return refs, errs
}

// token is one thing scan found: a placeholder, a syntax error, or an escape ($$( before a
// drctl name, at start).
type token struct {
	ref    *Ref
	err    error
	escape bool
	start  int
}

// scanner walks a string once. The positions of the next ')' and '}}' are remembered, so that a
// string of many unclosed "$(" is not searched to its end once per "$(".
type scanner struct {
	s                    string
	nextParen, nextBrace int // -1: not searched yet; len(s): none left
}

func scan(s string) []token {
	sc := &scanner{s: s, nextParen: -1, nextBrace: -1}
	var tokens []token
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], "${")
		if j < 0 {
			break
		}
		i += j
		switch {
		case strings.HasPrefix(s[i:], "$$(") && ownedName(s[i+3:]):
			tokens = append(tokens, token{escape: true, start: i})
			i += 3
		case strings.HasPrefix(s[i:], "$("):
			t, next := sc.dollar(i)
			if t != nil {
				tokens = append(tokens, *t)
			}
			i = next
		case strings.HasPrefix(s[i:], "{{"):
			t, next := sc.braces(i)
			if t != nil {
				tokens = append(tokens, *t)
			}
			i = next
		default:
			i++
		}
	}
	return tokens
}

// ownedName reports whether s starts, after blanks, with a name drctl defines: params., outputs.
// or a builtin name that is not the start of a longer name.
func ownedName(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, "params.") || strings.HasPrefix(s, "outputs.") {
		return true
	}
	for _, b := range []string{PlanName, PlanNamespace, ExecutionName} {
		if strings.HasPrefix(s, b) && (len(s) == len(b) || !isNameByte(s[len(b)])) {
			return true
		}
	}
	return false
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// closing returns the offset of the next occurrence of close at or after from, or -1; cache
// holds the last answer.
func (sc *scanner) closing(from int, close string, cache *int) int {
	if *cache < from {
		if k := strings.Index(sc.s[from:], close); k >= 0 {
			*cache = from + k
		} else {
			*cache = len(sc.s)
		}
	}
	if *cache == len(sc.s) {
		return -1
	}
	return *cache
}

// dollar reads a $(...) at start; it returns no token for a $(...) that is not drctl's, which
// is then passed over by its "$(" only, so a placeholder inside it is still found.
func (sc *scanner) dollar(start int) (*token, int) {
	s := sc.s
	if !ownedName(s[start+2:]) {
		return nil, start + 2 // $(VAR) of Kubernetes, $(cmd) of a shell: not ours
	}
	end := sc.closing(start+2, ")", &sc.nextParen)
	if end < 0 {
		return &token{err: syntaxError(s, start, "missing closing ')'"), start: start}, len(s)
	}
	expr, next := s[start+2:end], end+1
	if strings.TrimSpace(expr) != expr {
		return &token{err: syntaxError(s, start, fmt.Sprintf("no blanks inside $(...): write $(%s)", strings.TrimSpace(expr))), start: start}, next
	}
	return sc.classified(expr, start, next), next
}

// braces reads a {{ ... }} at start; it returns no token for one that is not drctl's (whose
// content does not start with a dot), passed over by its "{{" only.
func (sc *scanner) braces(start int) (*token, int) {
	s := sc.s
	head := strings.TrimLeft(s[start+2:], " \t")
	trimMarker := strings.HasPrefix(head, "-")
	if trimMarker {
		head = strings.TrimLeft(head[1:], " \t")
	}
	if !strings.HasPrefix(head, ".") {
		return nil, start + 2 // someone else's template (e.g. Alertmanager's {{ $labels.x }})
	}
	end := sc.closing(start+2, "}}", &sc.nextBrace)
	if end < 0 {
		return &token{err: syntaxError(s, start, "missing closing '}}'"), start: start}, len(s)
	}
	expr, next := strings.TrimSpace(s[start+2:end]), end+2
	if trimMarker || strings.HasSuffix(expr, "-") {
		clean := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(expr, "-"), "-"))
		return &token{err: syntaxError(s, start, fmt.Sprintf("drctl placeholders take no trim markers ('{{-', '-}}'): write {{ %s }}", clean)), start: start}, next
	}
	return sc.classified(expr[1:], start, next), next
}

func (sc *scanner) classified(expr string, start, next int) *token {
	ref, msg := classify(expr)
	if ref == nil {
		return &token{err: syntaxError(sc.s, start, msg), start: start}
	}
	ref.Start, ref.End, ref.Text = start, next, sc.s[start:next]
	return &token{ref: ref, start: start}
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
	shown := expr
	if len(shown) > 60 {
		shown = shown[:60] + "..."
	}
	switch {
	case strings.HasPrefix(expr, "params."):
		return nil, fmt.Sprintf("invalid parameter reference %q: want params.<name> with letters, digits, '-' or '_'", shown)
	case strings.HasPrefix(expr, "outputs."):
		return nil, fmt.Sprintf("invalid output reference %q: want outputs.<action>.<field>", shown)
	default:
		return nil, fmt.Sprintf("unknown name %q: want params.<name>, outputs.<action>.<field>, planName, planNamespace or executionName", shown)
	}
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
