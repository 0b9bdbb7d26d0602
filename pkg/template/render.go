package template

import (
	"errors"
	"fmt"
	"strings"
)

// Lookup returns the value of a placeholder, or false when its name is undefined.
type Lookup func(Ref) (string, bool)

// UndefinedError names a placeholder whose name has no value.
type UndefinedError struct{ Ref Ref }

func (e *UndefinedError) Error() string {
	switch e.Ref.Kind {
	case Param:
		return fmt.Sprintf("undefined parameter %q in %s", e.Ref.Name, e.Ref.Text)
	case Output:
		return fmt.Sprintf("undefined output %q of action %q in %s", e.Ref.Field, e.Ref.Name, e.Ref.Text)
	default:
		return fmt.Sprintf("undefined name %q in %s", e.Ref.Name, e.Ref.Text)
	}
}

// Render replaces every placeholder in s by its value, in one pass: a value that itself contains a
// placeholder is inserted as written, never expanded again. `$$(` before a drctl name becomes
// `$(`; any other `$$(` (Kubernetes' own escape, as in `$$(VAR)`) is left for its reader. Every
// undefined name and syntax error is returned (joined), and then the result is not to be used.
func Render(s string, lookup Lookup) (string, error) {
	var errs []error
	var b strings.Builder
	last := 0
	for _, t := range scan(s) {
		switch {
		case t.err != nil:
			errs = append(errs, t.err)
		case t.escape:
			b.WriteString(s[last:t.start])
			last = t.start + 1 // drop the first '$'
		default:
			b.WriteString(s[last:t.ref.Start])
			v, ok := lookup(*t.ref)
			if !ok {
				errs = append(errs, &UndefinedError{Ref: *t.ref})
			}
			b.WriteString(v)
			last = t.ref.End
		}
	}
	b.WriteString(s[last:])
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return b.String(), nil
}

// Unescape turns each `$$(` before a drctl name in s into `$(`, as Render does; it is for text
// between the placeholders a caller substitutes itself.
func Unescape(s string) string {
	var b strings.Builder
	last := 0
	for _, t := range scan(s) {
		if t.escape {
			b.WriteString(s[last:t.start])
			last = t.start + 1
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
