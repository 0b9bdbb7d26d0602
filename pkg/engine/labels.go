package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Labels drctl puts on what it creates.
const (
	LabelPlan      = "dr.bkbcs.tencent.com/plan"
	LabelPlanShort = "drplan"
	LabelExecution = "dr.bkbcs.tencent.com/execution"
	LabelAction    = "dr.bkbcs.tencent.com/action"
	LabelOperation = "dr.bkbcs.tencent.com/operation"
	// LabelDrill links the Execute and the Revert of one drctl drill: the drill's ID on both.
	LabelDrill = "dr.bkbcs.tencent.com/drill"
	// LabelJournalOf marks an execution's journal (journal.go), a ConfigMap of drctl's own.
	LabelJournalOf = "dr.bkbcs.tencent.com/journal-of"

	AnnotationCancel = "dr.bkbcs.tencent.com/cancel"
	// AnnotationCreatedBy marks an execution a runner created for itself (drctl execute, drctl
	// revert), as opposed to one a user applied for a controller to run: one found without a
	// record was left by a runner that stopped before its first action, and is never run by
	// anyone else.
	AnnotationCreatedBy = "dr.bkbcs.tencent.com/created-by"
	// AnnotationManagedBy names the implementation that runs an execution. drctl (its CLI and
	// its controller) runs executions without it or with ManagedByDrctl, and never touches one
	// another implementation was asked to run.
	AnnotationManagedBy     = "dr.bkbcs.tencent.com/managed-by"
	AnnotationRunnerUser    = "dr.bkbcs.tencent.com/runner-user"
	AnnotationRunnerHost    = "dr.bkbcs.tencent.com/runner-host"
	AnnotationRunnerPID     = "dr.bkbcs.tencent.com/runner-pid"
	AnnotationRunnerVersion = "dr.bkbcs.tencent.com/runner-version"
)

// ManagedByDrctl is AnnotationManagedBy's value for drctl.
const ManagedByDrctl = "drctl"

// ExecutionLabels are the labels every execution of plan carries: the plan (twice: the spec's
// `kubectl get drplanexecution -l drplan=<name>`) and the operation (execute, revert).
func ExecutionLabels(plan string, op v1alpha1.OperationType) map[string]string {
	return map[string]string{LabelPlan: labelValue(plan), LabelPlanShort: labelValue(plan), LabelOperation: strings.ToLower(string(op))}
}

// ManagedElsewhere reports whether another implementation runs exec: its managed-by annotation
// names another, or its record shows progress that no drctl runner stamped.
func ManagedElsewhere(exec *v1alpha1.DRPlanExecution) bool {
	if by, ok := exec.Annotations[AnnotationManagedBy]; ok && by != ManagedByDrctl {
		return true
	}
	return Started(exec) && exec.Status.Runner == nil
}

const maxLabelValue = 63

var notLabelChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// labelValue makes s a valid label value: invalid characters replaced, and when too long, cut
// and suffixed with a hash of the whole, so distinct values stay distinct.
func labelValue(s string) string {
	v := notLabelChars.ReplaceAllString(s, "-")
	if len(v) > maxLabelValue {
		v = v[:maxLabelValue-9] + "-" + shortHash(s)
	}
	return strings.Trim(v, "-_.")
}

// objectName makes a DNS-1123 label (≤ 63) from parts, with a hash suffix when it had to be cut.
func objectName(parts ...string) string {
	whole := strings.Join(parts, "-")
	v := strings.ToLower(whole)
	v = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(v, "-")
	if len(v) > maxLabelValue {
		v = strings.TrimRight(v[:maxLabelValue-9], "-") + "-" + shortHash(whole)
	}
	return strings.Trim(v, "-")
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

// executionObjectName names an object that belongs to an execution itself (its journal, its
// params Secret): <execution><suffix>, cut with a hash to stay a valid name (253 characters). The
// suffix starts with a dot, which the objects of actions never hold.
func executionObjectName(execution, suffix string) string {
	if len(execution)+len(suffix) > 253 {
		execution = execution[:253-len(suffix)-9] + "-" + shortHash(execution)
	}
	return execution + suffix
}
