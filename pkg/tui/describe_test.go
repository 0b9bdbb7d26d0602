package tui

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// An invalid plan says why (drctl serve's Ready condition), and a plan that names a
// ServiceAccount says whom its runs act as.
func TestDescribePlanSaysWhyItIsInvalidAndWhomItActsAs(t *testing.T) {
	plan := &v1alpha1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team-a"},
		Spec:       v1alpha1.DRPlanSpec{ServiceAccountName: "dr-runner", Stages: []v1alpha1.Stage{{Name: "s"}}},
		Status: v1alpha1.DRPlanStatus{Phase: v1alpha1.PlanInvalid, Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse,
			Reason: "Invalid", Message: "spec.stages[0].workflows[0].workflowRef: Not found: DRWorkflow team-a/w"}}},
	}
	var out bytes.Buffer
	DescribePlan(&out, plan, time.Now())
	assert.Contains(t, out.String(), "Acts as:")
	assert.Contains(t, out.String(), "ServiceAccount dr-runner (under drctl serve)")
	assert.Contains(t, out.String(), "Not found: DRWorkflow team-a/w")

	plan.Status = v1alpha1.DRPlanStatus{Phase: v1alpha1.PlanReady, Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Valid", Message: "ok"}}}
	out.Reset()
	DescribePlan(&out, plan, time.Now())
	assert.NotContains(t, out.String(), "Why:")
}

// A plan's history and stage order say what each run was and when each stage runs.
func TestDescribePlanShowsModesAndStageOrder(t *testing.T) {
	plan := &v1alpha1.DRPlan{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team-a"},
		Spec:       v1alpha1.DRPlanSpec{Stages: []v1alpha1.Stage{{Name: "a"}, {Name: "b"}}},
		Status: v1alpha1.DRPlanStatus{ExecutionHistory: []v1alpha1.ExecutionRecord{
			{Name: "p-2", OperationType: v1alpha1.OperationExecute, Mode: v1alpha1.ModeDelete, Phase: v1alpha1.PhaseSucceeded},
			{Name: "p-1", OperationType: v1alpha1.OperationExecute, Phase: v1alpha1.PhaseSucceeded},
		}},
	}
	var out bytes.Buffer
	DescribePlan(&out, plan, time.Now())
	assert.Contains(t, out.String(), "b (sequential, after a, the stage before it)")
	assert.Regexp(t, `p-2\s+Execute \(Delete\)\s+Succeeded`, out.String())
	assert.Regexp(t, `p-1\s+Execute\s+Succeeded`, out.String())
}

// Events of the same second are listed in the order the API server stored them.
func TestDescribeOrdersEventsOfOneSecondAsStored(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	ev := func(rv, reason string) corev1.Event {
		return corev1.Event{ObjectMeta: metav1.ObjectMeta{ResourceVersion: rv}, Reason: reason, Type: "Normal", LastTimestamp: at}
	}
	var out bytes.Buffer
	describeEvents(&out, []corev1.Event{ev("1203", "ExecutionSucceeded"), ev("998", "ExecutionStarted"), ev("1100", "ActionSucceeded")}, at.Time)
	assert.Regexp(t, `(?s)ExecutionStarted.*ActionSucceeded.*ExecutionSucceeded`, out.String())
}
