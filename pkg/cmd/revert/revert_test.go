package revert

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "defaults", args: []string{"run-1"}, want: Options{Target: "run-1", RunFlags: cmdutil.RunFlags{Progress: "auto", LeaseDuration: 15 * time.Second, PartitionTimeout: 2 * time.Minute}}},
		{name: "named, no questions", args: []string{"run-1", "--name", "undo-1", "-y", "--progress", "plain"},
			want: Options{Target: "run-1", Name: "undo-1", RunFlags: cmdutil.RunFlags{Yes: true, Progress: "plain", LeaseDuration: 15 * time.Second, PartitionTimeout: 2 * time.Minute}}},
		{name: "no execution", wantErr: "accepts 1 arg(s), received 0"},
		{name: "unknown on failure", args: []string{"run-1", "--on-failure", "retry"}, wantErr: `--on-failure "retry": want ask or fail`},
		{name: "unknown progress", args: []string{"run-1", "--progress", "tv"}, wantErr: `unknown --progress "tv"`},
		{name: "short lease", args: []string{"run-1", "--lease-duration", "2s"}, wantErr: "--lease-duration 2s is too short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdRevert, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			got.IO, got.Factory = nil, nil
			assert.Equal(t, tc.want, *got)
		})
	}
}

// What revert shows on a terminal before it asks: the succeeded actions, last first; a workflow
// run twice in a stage is named by its distinguishing parameter.
func TestConfirmationSummaryGolden(t *testing.T) {
	ok := v1alpha1.PhaseSucceeded
	wf := func(ref, service string, actions ...v1alpha1.ActionStatus) v1alpha1.WorkflowExecutionStatus {
		return v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: ref}, Phase: ok, ActionStatuses: actions,
			ResolvedParams: map[string]string{"service": service}}
	}
	target := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "run-1", Namespace: "dr"},
		Spec:       v1alpha1.DRPlanExecutionSpec{PlanRef: "prod-failover", OperationType: v1alpha1.OperationExecute},
		// apps is listed first but ran after db: the revert undoes it first all the same.
		Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseFailed, StageStatuses: []v1alpha1.StageStatus{
			{Name: "apps", Phase: v1alpha1.PhaseFailed, DependsOn: []string{"db"}, WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{
				wf("service-failover", "payment", v1alpha1.ActionStatus{Name: "switch", Phase: ok}),
				wf("service-failover", "orders", v1alpha1.ActionStatus{Name: "switch", Phase: v1alpha1.PhaseFailed}),
				wf("service-failover", "cart", v1alpha1.ActionStatus{Name: "switch", Phase: ok}),
			}},
			{Name: "db", Phase: ok, WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{
				wf("mysql", "", v1alpha1.ActionStatus{Name: "promote", Phase: ok}, v1alpha1.ActionStatus{Name: "notify", Phase: ok}),
			}},
		}},
	}
	planned, err := engine.PlanRevert(target)
	require.NoError(t, err)
	cmdtest.Golden(t, "confirm", []byte(tui.RevertSummary(target, planned)))

	target.Status.Phase = v1alpha1.PhaseRunning
	_, err = engine.PlanRevert(target)
	assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "a running execution is refused before anyone is asked: %v", err)
}
