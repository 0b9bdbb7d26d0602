package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// recordOf is a one-stage, one-workflow record of actions a0..a2, owned by holder at sequence seq.
func recordOf(holder string, seq int64) *v1alpha1.DRPlanExecution {
	exec := &v1alpha1.DRPlanExecution{}
	exec.UID = "uid-1"
	exec.Status.Runner = &v1alpha1.RunnerInfo{Holder: holder, Epoch: 2, Sequence: seq}
	we := v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: "w"}, Phase: v1alpha1.PhaseRunning}
	for _, n := range []string{"a0", "a1", "a2"} {
		we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: n, Phase: v1alpha1.PhasePending})
	}
	exec.Status.StageStatuses = []v1alpha1.StageStatus{{Name: "s", Phase: v1alpha1.PhaseRunning, DependsOn: []string{"x"}, WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{we}}}
	return exec
}

func actionEntry(v uint64, k int, phase v1alpha1.ExecutionPhase) journalEntry {
	return journalEntry{V: v, Stage: 0, Workflow: 0, Action: k, Act: &v1alpha1.ActionStatus{Name: []string{"a0", "a1", "a2"}[k], Phase: phase}}
}

func TestJournalFoldsWhatIsNewerThanTheRecord(t *testing.T) {
	exec := recordOf("runner-a", 5)
	j := &journalData{UID: "uid-1", Holder: "runner-a", Epoch: 2, Entries: []journalEntry{
		actionEntry(4, 0, v1alpha1.PhaseRunning), // older than the record: the record's Pending stands
		actionEntry(6, 1, v1alpha1.PhaseSucceeded),
		actionEntry(7, 2, v1alpha1.PhaseRunning),
		{V: 7, Stage: 0, Workflow: -1, Action: -1, Stagest: &v1alpha1.StageStatus{Name: "s", Phase: v1alpha1.PhaseFailed}},
	}}
	assert.True(t, j.fold(exec))
	assert.Equal(t, []string{"s/w/a0=Pending", "s/w/a1=Succeeded", "s/w/a2=Running"}, actionPhases(exec))
	ss := exec.Status.StageStatuses[0]
	assert.Equal(t, v1alpha1.PhaseFailed, ss.Phase, "a stage's own fields are folded")
	assert.Len(t, ss.WorkflowExecutions, 1, "its workflows stay")
	assert.Equal(t, []string{"x"}, ss.DependsOn)
	assert.Equal(t, 1, exec.Status.Summary.CompletedActions, "the summary follows")
}

func TestJournalOfAnotherOwnerOrExecutionIsIgnored(t *testing.T) {
	newer := []journalEntry{actionEntry(9, 0, v1alpha1.PhaseSucceeded)}
	for name, j := range map[string]*journalData{
		"an earlier owner's, folded when the record was taken over": {UID: "uid-1", Holder: "runner-a", Epoch: 2, Entries: newer},
		"of an execution deleted and created again with the name":   {UID: "uid-0", Holder: "runner-b", Epoch: 2, Entries: newer},
		"of another epoch": {UID: "uid-1", Holder: "runner-b", Epoch: 1, Entries: newer},
	} {
		exec := recordOf("runner-b", 0)
		assert.False(t, j.fold(exec), name)
		assert.Equal(t, v1alpha1.PhasePending, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Phase, name)
	}
}

// A takeover keeps the previous owner's journal until the claim of the record is written: a claim
// that failed after the takeover still folds it in next time.
func TestATakenOverJournalStillFoldsWhatItInherited(t *testing.T) {
	exec := recordOf("runner-a", 5)
	old := &journalData{UID: "uid-1", Holder: "runner-a", Epoch: 2, Entries: []journalEntry{actionEntry(6, 0, v1alpha1.PhaseSucceeded)}}
	taken := &journalData{UID: "uid-1", Holder: "runner-b", Epoch: 3, Inherited: old}
	assert.Same(t, old, taken.matching(exec))
	assert.True(t, taken.fold(exec))
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Phase)
}
