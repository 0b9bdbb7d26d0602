package engine

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A stage's FailFast stops the stage at its first failed workflow, and leaves the rest of the run
// to the plan's policy; a stage's Continue runs every workflow (FR-023f).
func TestStageFailurePolicyFailFast(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/breaks/") {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	plan := func(name, planPolicy, stagePolicy string) string {
		return `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: ` + name + `}
spec:
  failurePolicy: ` + planPolicy + `
  stages:
  - name: risky
    failurePolicy: ` + stagePolicy + `
    workflows: [{workflowRef: {name: breaks}}, {workflowRef: {name: second}}]
  - name: after
    dependsOn: [risky]
    workflows: [{workflowRef: {name: later}}]
  - name: aside
    workflows: [{workflowRef: {name: apart}}]
`
	}
	f.apply(strings.Join([]string{
		httpWorkflow("breaks", srv.URL, "go"),
		httpWorkflow("second", srv.URL, "go"),
		httpWorkflow("later", srv.URL, "go"),
		httpWorkflow("apart", srv.URL, "go"),
		plan("failfast-continue", "Continue", "FailFast"),
		plan("continue-continue", "Continue", "Continue"),
		plan("failfast-stop", "Stop", "FailFast"),
	}, "\n---\n"))

	for _, tc := range []struct {
		plan     string
		recorded string
		want     []string
	}{{
		plan:     "failfast-continue",
		recorded: "FailFast", // a resume must not read this as the plan's Continue
		want: []string{
			"risky/breaks/go=Failed",
			"risky/second/go=Skipped",  // the stage's FailFast: no new workflow after the failure
			"after/later/go=Succeeded", // the plan's Continue: later stages run
			"aside/apart/go=Succeeded",
		},
	}, {
		plan:     "continue-continue",
		recorded: "Continue",
		want: []string{
			"risky/breaks/go=Failed",
			"risky/second/go=Succeeded", // the stage's Continue: every workflow runs
			"after/later/go=Succeeded",
			"aside/apart/go=Succeeded",
		},
	}, {
		plan:     "failfast-stop",
		recorded: "Stop", // FailFast under the plan's Stop is Stop
		want: []string{
			"risky/breaks/go=Failed",
			"risky/second/go=Skipped",
			"after/later/go=Skipped",   // the plan's Stop: no new stage
			"aside/apart/go=Succeeded", // started alongside risky
		},
	}} {
		t.Run(tc.plan, func(t *testing.T) {
			res := f.execute(tc.plan)
			require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
			exec := f.execution(res.Execution.Name)
			assert.Equal(t, tc.want, actionPhases(exec))
			assert.Equal(t, v1alpha1.PhaseFailed, exec.Status.StageStatuses[0].Phase)
			assert.Equal(t, tc.recorded, exec.Status.StageStatuses[0].FailurePolicy)
		})
	}
}

// The recorded policy is all a resume reads; it must say what the plan and stage policies meant.
func TestStagePolicyRecordedForResume(t *testing.T) {
	for _, tc := range []struct {
		plan, stage    string
		recorded       string
		failFastWithin bool // no new workflow of the stage after a failure
		stopOnFailure  bool // no new stage after the stage fails
	}{
		{"", "", "Stop", true, true},
		{"Stop", "", "Stop", true, true},
		{"Continue", "", "Continue", false, false},
		{"Stop", "Continue", "Continue", false, false},
		{"Continue", "Stop", "Stop", true, true},
		{"Stop", "FailFast", "Stop", true, true},
		{"Continue", "FailFast", "FailFast", true, false},
	} {
		plan := &v1alpha1.DRPlan{Spec: v1alpha1.DRPlanSpec{FailurePolicy: v1alpha1.PlanFailurePolicy(tc.plan)}}
		stage := v1alpha1.Stage{Name: "s", FailurePolicy: v1alpha1.StageFailurePolicy(tc.stage)}
		recorded := effectiveStagePolicy(plan, stage)
		assert.Equal(t, tc.recorded, recorded, "plan %q, stage %q", tc.plan, tc.stage)

		exec := &v1alpha1.DRPlanExecution{Status: v1alpha1.DRPlanExecutionStatus{
			StageStatuses: []v1alpha1.StageStatus{{Name: "s", FailurePolicy: recorded}}}}
		prog, err := executeProgram(exec, "ns")
		require.NoError(t, err)
		sp := prog.stages[0]
		assert.Equal(t, tc.failFastWithin, sp.failFastWithin, "failFastWithin of plan %q, stage %q", tc.plan, tc.stage)
		assert.Equal(t, tc.stopOnFailure, sp.stopOnFailure, "stopOnFailure of plan %q, stage %q", tc.plan, tc.stage)
	}
}
