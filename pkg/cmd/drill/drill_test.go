package drill

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdDrill, "prod", "-p", "target=standby", "--rto", "15m", "--yes", "--progress", "json")
	require.NoError(t, err)
	assert.Equal(t, "prod", got.Plan)
	assert.Equal(t, map[string]string{"target": "standby"}, got.Params)
	assert.Equal(t, 15*time.Minute, got.RTO)
	assert.True(t, got.Yes)
	assert.Equal(t, "json", got.Progress)

	for args, want := range map[string][]string{
		`-p "x": want name=value`:      {"prod", "-p", "x"},
		"--rto -1s":                    {"prod", "--rto", "-1s"},
		`unknown --progress "fancy"`:   {"prod", "--progress", "fancy"},
		"accepts 1 arg(s), received 0": nil,
	} {
		got, err := cmdtest.Parse(NewCmdDrill, want...)
		cmdtest.AssertUsageError(t, err, args, got)
	}
}

// The report of a drill, on a frozen clock: per stage, against the RTO and earlier runs.
func TestReportGolden(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(t0.Add(d)); return &t }
	exec := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "prod-failover-20261128-030000-ab12"},
		Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseSucceeded, StartTime: at(0), CompletionTime: at(4*time.Minute + 30*time.Second),
			StageStatuses: []v1alpha1.StageStatus{
				{Name: "infrastructure", Phase: v1alpha1.PhaseSucceeded, StartTime: at(0), CompletionTime: at(3 * time.Minute)},
				{Name: "applications", Phase: v1alpha1.PhaseSucceeded, StartTime: at(3 * time.Minute), CompletionTime: at(4*time.Minute + 30*time.Second)},
				{Name: "notify", Phase: v1alpha1.PhasePending},
			}}}
	r := measure("20261128-030000-ab12", exec, 4*time.Minute, []time.Duration{3*time.Minute + 50*time.Second, 4 * time.Minute})
	cmdtest.Golden(t, "report", []byte(r.String()))
	assert.False(t, *r.RTOMet)
}
