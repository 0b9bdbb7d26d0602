package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func specWith(actions ...string) *v1alpha1.DRWorkflowSpec {
	s := &v1alpha1.DRWorkflowSpec{}
	for _, a := range actions {
		s.Actions = append(s.Actions, v1alpha1.Action{Name: a, Type: "HTTP", HTTP: &v1alpha1.HTTPAction{URL: "http://x/" + a}})
	}
	return s
}

func statusWith(wes ...v1alpha1.WorkflowExecutionStatus) *v1alpha1.DRPlanExecutionStatus {
	return &v1alpha1.DRPlanExecutionStatus{StageStatuses: []v1alpha1.StageStatus{{Name: "s", WorkflowExecutions: wes}}}
}

func TestWorkflowSnapshotsAreStoredOncePerGeneration(t *testing.T) {
	we := func(name string, gen int64, spec *v1alpha1.DRWorkflowSpec) v1alpha1.WorkflowExecutionStatus {
		return v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: name, Namespace: "ns"}, WorkflowGeneration: gen, WorkflowSpec: spec}
	}
	st := statusWith(we("db", 2, specWith("a", "b")), we("db", 2, specWith("a", "b")), we("cache", 1, specWith("c")))
	require.NoError(t, packWorkflowSnapshots(st))
	for _, w := range st.StageStatuses[0].WorkflowExecutions {
		assert.Nil(t, w.WorkflowSpec, "no spec stays in a workflow execution")
	}
	snaps, err := decodeWorkflowSnapshots(st.WorkflowSnapshots)
	require.NoError(t, err)
	assert.Len(t, snaps, 2, "a workflow run twice is stored once")

	require.NoError(t, unpackWorkflowSnapshots(st))
	assert.Equal(t, specWith("a", "b"), st.StageStatuses[0].WorkflowExecutions[1].WorkflowSpec)
	assert.Equal(t, specWith("c"), st.StageStatuses[0].WorkflowExecutions[2].WorkflowSpec)
}

func TestRecordsWithInlineSpecsStillRead(t *testing.T) {
	old := statusWith(v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: "db"}, WorkflowSpec: specWith("a")})
	require.NoError(t, unpackWorkflowSnapshots(old), "a record written before the snapshots were packed")
	assert.Equal(t, specWith("a"), old.StageStatuses[0].WorkflowExecutions[0].WorkflowSpec)
}

func TestMissingOrCorruptSnapshotsAreErrors(t *testing.T) {
	missing := statusWith(v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: "db"}})
	assert.ErrorContains(t, unpackWorkflowSnapshots(missing), "workflow db has no spec snapshot")
	corrupt := statusWith()
	corrupt.WorkflowSnapshots = []byte("not gzip")
	assert.ErrorContains(t, unpackWorkflowSnapshots(corrupt), "status.workflowSnapshots")
}
