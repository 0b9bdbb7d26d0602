package controller

import (
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/drctl/drctl/pkg/validate"
)

// denial is an admission refusal worded as `drctl validate` words it: the object, then each
// error as "field: message".
type denial struct {
	object string
	errors []string
}

func (d *denial) Error() string {
	if len(d.errors) == 1 {
		return d.object + ": " + d.errors[0]
	}
	return d.object + ":\n  " + strings.Join(d.errors, "\n  ")
}

// judge turns findings into an admission verdict: errors deny, warnings are returned to the
// client (kubectl prints them).
func judge(object string, fs validate.Findings) (admission.Warnings, error) {
	var warnings admission.Warnings
	d := &denial{object: object}
	for _, f := range fs {
		msg := f.Message
		if f.Field != "" {
			msg = f.Field + ": " + msg
		}
		switch f.Severity {
		case validate.SeverityError:
			d.errors = append(d.errors, msg)
		case validate.SeverityWarning:
			warnings = append(warnings, fmt.Sprintf("%s: %s", object, msg))
		}
	}
	if len(d.errors) > 0 {
		return warnings, d
	}
	return warnings, nil
}

func deny(object, format string, args ...any) error {
	return &denial{object: object, errors: []string{fmt.Sprintf(format, args...)}}
}
