package tui

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestDiffTurnsTwoRecordsIntoTheEventsBetweenThem(t *testing.T) {
	before := layout()
	after := layout()
	after.Status.StageStatuses[0].Phase = v1alpha1.PhaseSucceeded
	after.Status.StageStatuses[0].WorkflowExecutions[0].Phase = v1alpha1.PhaseSucceeded
	a := &after.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0]
	a.Phase, a.Attempts, a.Message = v1alpha1.PhaseSucceeded, 2, "200 in 80ms"
	after.Status.Phase = v1alpha1.PhaseFailed

	events := Diff(NewTree(before), NewTree(after), t0)
	var got []string
	for _, e := range events {
		got = append(got, string(e.Type)+" "+e.Stage+"/"+e.Workflow+"/"+e.Action+" "+string(e.Phase))
	}
	assert.Equal(t, []string{
		"Stage notify// Succeeded",
		"Workflow notify/notification/ Succeeded",
		"Action notify/notification/post Succeeded",
		"Execution // Failed",
	}, got)
	assert.Equal(t, 2, events[2].Attempt)
	assert.Equal(t, "200 in 80ms", events[2].Message)
	assert.Empty(t, Diff(NewTree(after), NewTree(after), time.Now()), "no change, no events")
}
