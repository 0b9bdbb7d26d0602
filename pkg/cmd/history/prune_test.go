package history

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestPruneFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdPrune, "prod", "--keep", "3", "--older-than", "720h", "--dry-run")
	require.NoError(t, err)
	assert.Equal(t, "prod", got.Plan)
	assert.Equal(t, 3, got.Keep)
	assert.Equal(t, 720*time.Hour, got.OlderThan)
	assert.True(t, got.DryRun)

	got, err = cmdtest.Parse(NewCmdPrune, "prod")
	cmdtest.AssertUsageError(t, err, "--keep is required", got)
	got, err = cmdtest.Parse(NewCmdPrune, "prod", "--keep", "-1")
	cmdtest.AssertUsageError(t, err, "want values of zero or more", got)
	got, err = cmdtest.Parse(NewCmdPrune, "--keep", "1")
	cmdtest.AssertUsageError(t, err, "accepts 1 arg(s), received 0", got)
}

// What prune deletes and what it keeps, and why, whatever order the API lists them in.
func TestPrunableKeepsWhatItMust(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	exec := func(name string, ageDays int, phase v1alpha1.ExecutionPhase, reverts string) v1alpha1.DRPlanExecution {
		op := v1alpha1.OperationExecute
		if reverts != "" {
			op = v1alpha1.OperationRevert
		}
		return v1alpha1.DRPlanExecution{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(now.Add(-time.Duration(ageDays) * 24 * time.Hour))},
			Spec:       v1alpha1.DRPlanExecutionSpec{OperationType: op, RevertExecutionRef: reverts},
			Status:     v1alpha1.DRPlanExecutionStatus{Phase: phase},
		}
	}
	items := []v1alpha1.DRPlanExecution{
		exec("run-01", 100, v1alpha1.PhaseSucceeded, ""),
		exec("run-02", 90, v1alpha1.PhaseFailed, ""),
		exec("undo-02", 89, v1alpha1.PhaseSucceeded, "run-02"),
		exec("run-03", 80, v1alpha1.PhaseUnknown, ""),
		exec("run-04", 70, v1alpha1.PhaseSucceeded, ""),
		exec("run-05", 60, v1alpha1.PhaseRunning, ""),
		exec("run-06", 5, v1alpha1.PhaseCanceled, ""),
		exec("run-07", 2, v1alpha1.PhaseSucceeded, ""),
		exec("run-08", 1, v1alpha1.PhaseSucceeded, ""),
	}
	plan := &v1alpha1.DRPlan{Status: v1alpha1.DRPlanStatus{LastExecutionRef: "run-04"}}
	verdicts := Prunable(plan, append(items[5:], items[:5]...), 2, 30*24*time.Hour, now)
	assert.Equal(t, []Verdict{
		{Name: "run-08", Why: "one of the newest 2"},
		{Name: "run-07", Why: "one of the newest 2"},
		{Name: "run-06", Why: "younger than --older-than"},
		{Name: "run-05", Why: "it has not ended (Running): it may still be resumed, reverted or canceled"},
		{Name: "run-04", Why: "the plan's last successful execution"},
		{Name: "run-03", Why: "it has not ended (Unknown): it may still be resumed, reverted or canceled"},
		{Name: "undo-02", Delete: true},
		{Name: "run-02", Delete: true},
		{Name: "run-01", Delete: true},
	}, verdicts)

	// A revert that stays keeps the run it reverted.
	verdicts = Prunable(plan, items, 7, 0, now)
	assert.Equal(t, Verdict{Name: "undo-02", Why: "one of the newest 7"}, verdicts[6])
	assert.Equal(t, Verdict{Name: "run-02", Why: "the revert undo-02 refers to it"}, verdicts[7])
	assert.Equal(t, Verdict{Name: "run-01", Delete: true}, verdicts[8])
}
