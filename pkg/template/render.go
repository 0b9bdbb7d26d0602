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
// placeholder is inserted as written, never expanded again. `$$(` becomes `$(`. Every undefined
// name and syntax error is returned (joined), and then the result is not to be used.
func Render(s string, lookup Lookup) (string, error) {
	refs, errs := Parse(s)
	var b strings.Builder
	last := 0
	for _, r := range refs {
		b.WriteString(unescape(s[last:r.Start]))
		v, ok := lookup(r)
		if !ok {
			errs = append(errs, &UndefinedError{Ref: r})
		}
		b.WriteString(v)
		last = r.End
	}
	b.WriteString(unescape(s[last:]))
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return b.String(), nil
}

// unescape turns `$$(` into `$(` in text between placeholders.
func unescape(s string) string {
	return strings.ReplaceAll(s, "$$(", "$(")
}

// IsSinglePlaceholder reports whether s is exactly one placeholder and nothing else, in which case
// a renderer may re-read the value as YAML (so `replicas: $(params.replicas)` becomes a number).
func IsSinglePlaceholder(s string) (Ref, bool) {
	refs, errs := Parse(s)
	if len(errs) == 0 && len(refs) == 1 && refs[0].Start == 0 && refs[0].End == len(s) {
		return refs[0], true
	}
	return Ref{}, false
}
