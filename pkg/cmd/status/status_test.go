package status

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestArguments(t *testing.T) {
	f, streams := cmdtest.NewFactory()
	var got *Options
	cmd := NewCmdStatus(f, func(_ context.Context, o *Options) error { got = o; return nil })
	require.NoError(t, cmdtest.Execute(cmd, streams.IOStreams, "prod"))
	assert.Equal(t, "prod", got.Plan)
	err := cmdtest.Execute(NewCmdStatus(f, nil), streams.IOStreams, "a", "b")
	assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "%v", err)
	err = cmdtest.Execute(NewCmdStatus(f, nil), streams.IOStreams, "prod")
	assert.ErrorIs(t, err, cmdtest.ErrNoCluster)
}

// Each state a plan's lock and running execution can be in, against one golden file.
func TestStatusGolden(t *testing.T) {
	expires := time.Date(2026, 11, 28, 4, 0, 15, 0, time.UTC)
	last := metav1.NewTime(time.Date(2026, 11, 27, 22, 10, 0, 0, time.UTC))
	plan := func(running string) *v1alpha1.DRPlan {
		p := &v1alpha1.DRPlan{ObjectMeta: metav1.ObjectMeta{Name: "prod-failover"},
			Status: v1alpha1.DRPlanStatus{Phase: v1alpha1.PlanReady, LastExecutionRef: "prod-failover-20261127-220500-ab12", LastExecutionTime: &last}}
		if running != "" {
			p.Status.CurrentExecution = &v1alpha1.ObjectReference{Name: running}
		}
		return p
	}
	exec := func(phase v1alpha1.ExecutionPhase, progress string) *v1alpha1.DRPlanExecution {
		return &v1alpha1.DRPlanExecution{Status: v1alpha1.DRPlanExecutionStatus{Phase: phase, Progress: progress}}
	}
	held := func(e *v1alpha1.DRPlanExecution) *v1alpha1.DRPlanExecution {
		e.Name = "run-2"
		e.Status.Conditions = []metav1.Condition{{Type: "Paused", Status: metav1.ConditionTrue, Message: "paused by alice: bridge call"}}
		e.Status.Waiting = []v1alpha1.PendingDecision{{Step: "switch-traffic", Kind: v1alpha1.DecisionApproval}}
		return e
	}
	var out bytes.Buffer
	for _, tc := range []struct {
		name string
		v    view
	}{
		{"idle", view{Plan: plan("")}},
		{"running", view{Plan: plan("run-2"), Running: exec(v1alpha1.PhaseRunning, "3/12"), Lock: &lease.Info{Holder: "execution run-2 by alice@laptop pid 4242", Expires: expires}}},
		{"runner died, lock expired", view{Plan: plan("run-2"), Running: exec(v1alpha1.PhaseRunning, "3/12"), Lock: &lease.Info{Holder: "execution run-2 by alice@laptop pid 4242", Expires: expires, Expired: true}}},
		{"unknown run, no lock", view{Plan: plan("run-2"), Running: exec(v1alpha1.PhaseUnknown, "3/12")}},
		{"running execution unreadable", view{Plan: plan("run-3")}},
		{"paused, a stage waiting for approval", view{Plan: plan("run-2"), Running: held(exec(v1alpha1.PhaseRunning, "3/12")), Lock: &lease.Info{Holder: "execution run-2 by alice@laptop pid 4242", Expires: expires}}},
	} {
		tc.v.Namespace = "dr"
		out.WriteString("# " + tc.name + "\n")
		tc.v.write(&out)
	}
	cmdtest.Golden(t, "status", out.Bytes())
}
