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

// A run held by an operator says so: who paused it, what waits for which decision and the
// commands that answer it, and every signal received with who sent it and why.
func TestDescribeExecutionShowsPauseWaitsAndSignals(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }
	deadline := metav1.NewTime(now.Add(20 * time.Minute))
	exec := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "run-1", Namespace: "dr", Annotations: map[string]string{"dr.bkbcs.tencent.com/signals": `[
			{"id":"1","verb":"Pause","by":"alice","at":"2026-11-30T09:58:00Z"},
			{"id":"3","verb":"Retry","step":"db/mysql/promote","by":"carol","at":"2026-11-30T09:59:30Z","reason":"fixed"}]`}},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "p", OperationType: v1alpha1.OperationExecute},
		Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseRunning, OnFailure: v1alpha1.OnFailureAsk,
			Conditions: []metav1.Condition{{Type: "Paused", Status: metav1.ConditionTrue, Reason: "PausedByOperator",
				Message: "paused by alice: replica lag", LastTransitionTime: ago(2 * time.Minute)}},
			Waiting: []v1alpha1.PendingDecision{
				{Step: "switch", Kind: v1alpha1.DecisionApproval, Message: "check the replica", Since: ago(5 * time.Minute), Deadline: &deadline},
				{Step: "db/mysql/promote", Kind: v1alpha1.DecisionFailure, Message: "POST http://db/promote: 500", Since: ago(time.Minute)},
			},
			Signals: []v1alpha1.SignalRecord{
				{ID: "1", Verb: v1alpha1.SignalPause, By: "alice", At: ago(2 * time.Minute), Reason: "replica lag", Result: "Applied", Message: "paused"},
				{ID: "2", Verb: v1alpha1.SignalRetry, Step: "db/mysql/other", By: "bob", At: ago(time.Minute), Result: "Refused", Message: "db/mysql/other is not waiting for a decision"},
			}},
	}
	var out bytes.Buffer
	DescribeExecution(&out, exec, nil, now)
	got := out.String()
	assert.Contains(t, got, "On failure:  Ask (a failed action waits for drctl retry, skip or reject)")
	assert.Contains(t, got, "Paused:      paused by alice: replica lag, 2m ago (drctl continue run-1)")
	assert.Regexp(t, `switch\s+waits for approval for 5m, rejected unless decided by 2026-11-30T10:20:00Z: check the replica`, got)
	assert.Contains(t, got, "drctl approve run-1 switch | drctl reject run-1 switch --reason ...")
	assert.Regexp(t, `Sent, not yet received:\n\s+Retry db/mysql/promote\s+by carol, 30s ago: "fixed"\n`, got)
	assert.Regexp(t, `db/mysql/promote\s+failed; waits for a decision for 60s: POST http://db/promote: 500`, got)
	assert.Contains(t, got, "drctl retry run-1 db/mysql/promote | drctl skip run-1 db/mysql/promote --reason ...")
	assert.Regexp(t, `(?s)Signals:.*2m ago\s+alice\s+Pause\s+-\s+Applied\s+replica lag\s+paused.*60s ago\s+bob\s+Retry\s+db/mysql/other\s+Refused\s+-\s+db/mysql/other is not waiting`, got)
}

// Tables show the operator's hold on a running execution next to its phase.
func TestPhaseLabel(t *testing.T) {
	exec := &v1alpha1.DRPlanExecution{Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseRunning}}
	assert.Equal(t, "Running", PhaseLabel(exec))
	exec.Status.Waiting = []v1alpha1.PendingDecision{{Step: "s"}}
	assert.Equal(t, "Running,Waiting", PhaseLabel(exec))
	exec.Status.Conditions = []metav1.Condition{{Type: "Paused", Status: metav1.ConditionTrue}}
	assert.Equal(t, "Running,Paused,Waiting", PhaseLabel(exec))
	exec.Status.Phase = v1alpha1.PhaseSucceeded
	assert.Equal(t, "Succeeded", PhaseLabel(exec))
	assert.Equal(t, "<none>", PhaseLabel(&v1alpha1.DRPlanExecution{}))
}
