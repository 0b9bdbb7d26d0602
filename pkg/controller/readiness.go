package controller

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/validate"
)

// ConditionReady is the condition type that says whether a workflow or plan can run.
const ConditionReady = "Ready"

// Reasons of the Ready condition.
const (
	ReasonValid   = "Valid"   // every rule of drctl validate passes
	ReasonInvalid = "Invalid" // a rule fails: the message says which, at which field
)

// verdict is what the rules say of an object: its errors, as `drctl validate` words them.
type verdict struct {
	errors []string
}

func (v *verdict) add(prefix string, fs validate.Findings) {
	for _, f := range fs {
		if f.Severity != validate.SeverityError {
			continue
		}
		msg := f.Message
		if f.Field != "" {
			msg = f.Field + ": " + msg
		}
		v.errors = append(v.errors, prefix+msg)
	}
}

func (v *verdict) valid() bool { return len(v.errors) == 0 }

// message is the Invalid reason, short enough for a status: the first errors and how many more.
func (v *verdict) message() string {
	const shown = 3
	if len(v.errors) <= shown {
		return strings.Join(v.errors, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(v.errors[:shown], "; "), len(v.errors)-shown)
}

// readyCondition sets the Ready condition of conditions from v; it reports whether it changed.
func readyCondition(conditions *[]metav1.Condition, generation int64, v *verdict) bool {
	c := metav1.Condition{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonValid,
		Message: "every rule of drctl validate passes", ObservedGeneration: generation}
	if !v.valid() {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonInvalid, v.message()
	}
	return meta.SetStatusCondition(conditions, c)
}
