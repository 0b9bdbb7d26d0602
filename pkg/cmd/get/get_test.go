package get

import (
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestArgumentsAndFlags(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		kind, obj string
		selector  string
		allNS     bool
		wantErr   string
	}{
		{name: "plans", args: []string{"plans"}, kind: v1alpha1.KindDRPlan, selector: ""},
		{name: "one execution", args: []string{"drpe", "run-1", "-o", "yaml"}, kind: v1alpha1.KindDRPlanExecution, obj: "run-1"},
		{name: "selector everywhere", args: []string{"executions", "-l", "drplan=prod,dr.bkbcs.tencent.com/operation!=revert", "-A"},
			kind: v1alpha1.KindDRPlanExecution, selector: "dr.bkbcs.tencent.com/operation!=revert,drplan=prod", allNS: true},
		{name: "unknown resource", args: []string{"pods"}, wantErr: `unknown resource "pods": want plans, workflows or executions`},
		{name: "bad selector", args: []string{"plans", "-l", "a in (b"}, wantErr: `-l "a in (b"`},
		{name: "unknown output", args: []string{"plans", "-o", "toml"}, wantErr: `-o toml: unable to match a printer`},
		{name: "no resource", wantErr: "accepts between 1 and 2 arg(s), received 0"},
		{name: "too many", args: []string{"plans", "a", "b"}, wantErr: "accepts between 1 and 2 arg(s), received 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdGet, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, got.Kind)
			assert.Equal(t, tc.obj, got.Name)
			assert.Equal(t, tc.selector, got.Selector.String())
			assert.Equal(t, tc.allNS, got.AllNamespaces)
		})
	}
}

// now is the frozen clock of the golden tables.
var now = time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-d)); return &t }

func executions() *v1alpha1.DRPlanExecutionList {
	exec := func(name, plan string, op v1alpha1.OperationType, mode v1alpha1.ExecutionMode, phase v1alpha1.ExecutionPhase, progress string, age, took time.Duration, msg string) v1alpha1.DRPlanExecution {
		e := v1alpha1.DRPlanExecution{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "dr", CreationTimestamp: *at(age)},
			Spec:       v1alpha1.DRPlanExecutionSpec{PlanRef: plan, OperationType: op, Mode: mode},
			Status: v1alpha1.DRPlanExecutionStatus{Phase: phase, Progress: progress, StartTime: at(age), Message: msg,
				Runner: &v1alpha1.RunnerInfo{User: "alice", Host: "laptop"}},
		}
		if took > 0 {
			e.Status.CompletionTime = at(age - took)
		}
		return e
	}
	return &v1alpha1.DRPlanExecutionList{Items: []v1alpha1.DRPlanExecution{
		exec("prod-failover-20261128-031500-a1b2", "prod-failover", v1alpha1.OperationExecute, "", v1alpha1.PhaseSucceeded, "12/12", 45*time.Minute, 3*time.Minute, ""),
		exec("prod-failover-20261128-035500-c3d4", "prod-failover", v1alpha1.OperationExecute, v1alpha1.ModeDelete, v1alpha1.PhaseRunning, "3/12", 5*time.Minute, 0, ""),
		exec("prod-failover-20261128-031500-a1b2-revert-x", "prod-failover", v1alpha1.OperationRevert, "", v1alpha1.PhaseFailed, "4/12", 30*time.Minute, 90*time.Second,
			"action apps/web/switch failed: POST https://lb.example.com/switch: unexpected status 503 Service Unavailable after 3 attempts"),
	}}
}

// Tables and printers of each format, ages counted to a frozen clock, against golden files.
func TestPrintGolden(t *testing.T) {
	plans := &v1alpha1.DRPlanList{Items: []v1alpha1.DRPlan{{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-failover", Namespace: "dr", CreationTimestamp: *at(72 * time.Hour)},
		Spec:       v1alpha1.DRPlanSpec{Description: "fail the shop over to cluster-b", Stages: []v1alpha1.Stage{{Name: "db"}, {Name: "apps"}}},
		Status: v1alpha1.DRPlanStatus{Phase: v1alpha1.PlanExecuted, LastExecutionRef: "prod-failover-20261128-031500-a1b2",
			CurrentExecution: &v1alpha1.ObjectReference{Name: "prod-failover-20261128-035500-c3d4"}},
	}}}
	workflows := &v1alpha1.DRWorkflowList{Items: []v1alpha1.DRWorkflow{{
		ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: "dr", CreationTimestamp: *at(10 * 24 * time.Hour)},
		Spec: v1alpha1.DRWorkflowSpec{Parameters: []v1alpha1.Parameter{{Name: "target"}, {Name: "role"}},
			Actions: []v1alpha1.Action{{Name: "promote", Type: v1alpha1.ActionHTTP}, {Name: "config", Type: v1alpha1.ActionKubernetesResource}, {Name: "notify", Type: v1alpha1.ActionHTTP}}},
	}}}
	for _, tc := range []struct {
		name, output string
		allNS        bool
		list         client.ObjectList
	}{
		{"plans", "", false, plans},
		{"plans-wide", "wide", false, plans},
		{"workflows-wide", "wide", false, workflows},
		{"executions", "", false, executions()},
		{"executions-wide-all-namespaces", "wide", true, executions()},
		{"executions-name", "name", false, executions()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, streams := cmdtest.NewFactory()
			cmd := &cobra.Command{}
			o := &ListFlags{}
			o.AddListFlags(cmd)
			require.NoError(t, cmd.Flags().Set("output", tc.output))
			o.AllNamespaces = tc.allNS
			require.NoError(t, o.Complete())
			require.NoError(t, o.Print(streams.IOStreams, tc.list, "dr", now))
			cmdtest.Golden(t, tc.name, streams.Out.Bytes())
		})
	}
}
