package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// eventually polls get until ok says yes, or fails with what get last returned.
func eventually[T any](t *testing.T, get func() T, ok func(T) bool, what string) T {
	t.Helper()
	var last T
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		last = get()
		if ok(last) {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: never happened; last: %+v", what, last)
	return last
}

func (f *fixture) workflow(name string) *v1alpha1.DRWorkflow {
	wf := &v1alpha1.DRWorkflow{}
	require.NoError(f.t, f.client.Get(f.ctx, client.ObjectKey{Namespace: f.namespace, Name: name}, wf))
	return wf
}

func (f *fixture) plan(name string) *v1alpha1.DRPlan {
	p := &v1alpha1.DRPlan{}
	require.NoError(f.t, f.client.Get(f.ctx, client.ObjectKey{Namespace: f.namespace, Name: name}, p))
	return p
}

func planPhase(p *v1alpha1.DRPlan) v1alpha1.PlanPhase { return p.Status.Phase }

// FR-022 / US4.4: a plan turns Invalid with the reason when a workflow it references is deleted
// or becomes invalid, and Ready again when that is fixed.
func TestAPlanFollowsItsWorkflowsBetweenReadyAndInvalid(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	f.apply(httpWorkflow("w1", tg.URL, "a", "b") + "---\n" + sprintf(onePlan, "p"))

	wf := eventually(t, func() *v1alpha1.DRWorkflow { return f.workflow("w1") },
		func(w *v1alpha1.DRWorkflow) bool { return w.Status.Phase == v1alpha1.WorkflowReady }, "workflow Ready")
	assert.Equal(t, wf.Generation, wf.Status.ObservedGeneration)
	assert.EqualValues(t, 2, wf.Status.ActionCount)
	assert.True(t, meta.IsStatusConditionTrue(wf.Status.Conditions, ConditionReady))
	plan := eventually(t, func() *v1alpha1.DRPlan { return f.plan("p") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanReady }, "plan Ready")
	assert.Equal(t, plan.Generation, plan.Status.ObservedGeneration)

	// The workflow is deleted: the plan is Invalid, and says why.
	require.NoError(t, f.client.Delete(f.ctx, f.workflow("w1")))
	plan = eventually(t, func() *v1alpha1.DRPlan { return f.plan("p") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanInvalid }, "plan Invalid after its workflow was deleted")
	cond := meta.FindStatusCondition(plan.Status.Conditions, ConditionReady)
	require.NotNil(t, cond)
	assert.Equal(t, metav1.ConditionFalse, cond.Status)
	assert.Contains(t, cond.Message, "spec.stages[0].workflows[0].workflowRef: Not found: DRWorkflow "+f.namespace+"/w1")

	// It comes back broken (an undefined parameter): the workflow is Invalid, and so is the plan.
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w1}
spec:
  actions:
  - {name: a, type: HTTP, http: {url: "` + tg.URL + `/$(params.nowhere)", method: POST}}
`)
	wf = eventually(t, func() *v1alpha1.DRWorkflow { return f.workflow("w1") },
		func(w *v1alpha1.DRWorkflow) bool { return w.Status.Phase == v1alpha1.WorkflowInvalid }, "workflow Invalid")
	assert.Contains(t, meta.FindStatusCondition(wf.Status.Conditions, ConditionReady).Message, `spec.actions[0].http.url: undefined parameter "nowhere"`)
	plan = eventually(t, func() *v1alpha1.DRPlan { return f.plan("p") },
		func(p *v1alpha1.DRPlan) bool {
			c := meta.FindStatusCondition(p.Status.Conditions, ConditionReady)
			return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "is invalid")
		}, "plan Invalid because its workflow is")
	assert.Equal(t, v1alpha1.PlanInvalid, plan.Status.Phase)

	// Fixed: both Ready again.
	wf = f.workflow("w1")
	wf.Spec.Actions[0].HTTP.URL = tg.URL + "/fixed"
	require.NoError(t, f.client.Update(f.ctx, wf))
	eventually(t, func() *v1alpha1.DRPlan { return f.plan("p") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanReady }, "plan Ready after the fix")
	assert.Equal(t, v1alpha1.WorkflowReady, f.workflow("w1").Status.Phase)
}

// A plan that ran keeps Executed while valid, and gets it back after a spell of Invalid.
func TestAnExecutedPlanComesBackExecuted(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	f.apply(httpWorkflow("w1", tg.URL, "a") + "---\n" + sprintf(onePlan, "ran") + "---\n" + executionOf("ran-1", "ran"))
	f.awaitPhase("ran-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	eventually(t, func() *v1alpha1.DRPlan { return f.plan("ran") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanExecuted }, "plan Executed")
	require.NoError(t, f.client.Delete(f.ctx, f.workflow("w1")))
	eventually(t, func() *v1alpha1.DRPlan { return f.plan("ran") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanInvalid }, "plan Invalid")
	f.apply(httpWorkflow("w1", tg.URL, "a"))
	eventually(t, func() *v1alpha1.DRPlan { return f.plan("ran") },
		func(p *v1alpha1.DRPlan) bool { return planPhase(p) == v1alpha1.PlanExecuted }, "plan Executed again")
}
