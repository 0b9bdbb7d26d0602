package progress

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// clock is the frozen time of the golden runs.
var clock = time.Date(2026, 11, 28, 3, 15, 0, 0, time.UTC)

// aRun is a one-stage run whose second action failed, as recorded at its end.
func aRun() *v1alpha1.DRPlanExecution {
	start, end := metav1.NewTime(clock), metav1.NewTime(clock.Add(1500*time.Millisecond))
	return &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-failover-1", Namespace: "dr"},
		Spec:       v1alpha1.DRPlanExecutionSpec{PlanRef: "prod-failover", OperationType: v1alpha1.OperationExecute},
		Status: v1alpha1.DRPlanExecutionStatus{Phase: v1alpha1.PhaseFailed, StartTime: &start, CompletionTime: &end,
			Message: "db/mysql/promote: exit 1",
			StageStatuses: []v1alpha1.StageStatus{{Name: "db", Phase: v1alpha1.PhaseFailed, WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{{
				WorkflowRef: v1alpha1.ObjectReference{Name: "mysql", Namespace: "dr"}, Phase: v1alpha1.PhaseFailed,
				ActionStatuses: []v1alpha1.ActionStatus{
					{Name: "fence", Phase: v1alpha1.PhaseSucceeded, Attempts: 1},
					{Name: "promote", Phase: v1alpha1.PhaseFailed, Attempts: 2, Message: "exit 1"},
				},
			}}}},
		},
	}
}

// play renders aRun's start, its events and its end with r.
func play(r Renderer) {
	exec := aRun()
	r.Start(exec, "execution dr/prod-failover-1 started (plan prod-failover)")
	at := func(d time.Duration) time.Time { return clock.Add(d) }
	for _, e := range []engine.Event{
		{Time: at(0), Type: engine.EventExecution, Execution: exec.Name, Phase: v1alpha1.PhaseRunning, Message: "started"},
		{Time: at(10 * time.Millisecond), Type: engine.EventAction, Execution: exec.Name, Stage: "db", Workflow: "mysql", Action: "fence", Phase: v1alpha1.PhaseSucceeded, Attempt: 1, Message: "POST https://fence/: 200"},
		{Time: at(500 * time.Millisecond), Type: engine.EventRetry, Execution: exec.Name, Stage: "db", Workflow: "mysql", Action: "promote", Phase: v1alpha1.PhaseRunning, Attempt: 2, Message: "exit 1\nretrying"},
		{Time: at(1500 * time.Millisecond), Type: engine.EventAction, Execution: exec.Name, Stage: "db", Workflow: "mysql", Action: "promote", Phase: v1alpha1.PhaseFailed, Attempt: 2, Message: "exit 1"},
		{Time: at(1500 * time.Millisecond), Type: engine.EventWaiting, Execution: exec.Name, Stage: "db", Workflow: "mysql", Action: "promote", Step: "db/mysql/promote",
			Phase: v1alpha1.PhaseFailed, Decision: v1alpha1.DecisionFailure, Message: "exit 1"},
		{Time: at(1500 * time.Millisecond), Type: engine.EventSignal, Execution: exec.Name, Step: "db/mysql/promote", Phase: v1alpha1.SignalApplied,
			Message: "Reject db/mysql/promote by alice (\"replica gone\"): rejected: the step fails",
			Signal:  &v1alpha1.SignalRecord{ID: "1", Verb: v1alpha1.SignalReject, Step: "db/mysql/promote", By: "alice", Reason: "replica gone", Result: v1alpha1.SignalApplied}},
	} {
		r.Observe(e)
	}
	r.Finish(&engine.Result{Execution: exec, Phase: exec.Status.Phase, Message: exec.Status.Message})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test ./pkg/progress -update writes it")
	assert.Equal(t, string(want), string(got))
}

func TestPlainGolden(t *testing.T) {
	var out bytes.Buffer
	play(New(Plain, &out))
	golden(t, "plain.golden", out.Bytes())
}

func TestJSONGolden(t *testing.T) {
	var out bytes.Buffer
	r := newJSON(&out)
	r.now = func() time.Time { return clock }
	play(r)
	r.Snapshot(aRun())
	held := aRun() // as a watch finds a run that waits, paused
	held.Status.Phase = v1alpha1.PhaseRunning
	held.Status.Conditions = []metav1.Condition{{Type: "Paused", Status: metav1.ConditionTrue, Message: "paused by bob: bridge call"}}
	held.Status.Waiting = []v1alpha1.PendingDecision{{Step: "db/mysql/promote", Kind: v1alpha1.DecisionFailure, Message: "exit 1"}}
	r.Snapshot(held)
	golden(t, "json.golden", out.Bytes())
}

func TestCheckMode(t *testing.T) {
	for _, m := range []string{Auto, TTY, Plain, JSON} {
		assert.NoError(t, CheckMode(m))
	}
	assert.EqualError(t, CheckMode("yaml"), `unknown --progress "yaml": want auto, tty, plain or json`)
}

// A stream that was started ends with a Finished record even when following the run stops on an
// error; one that never started writes nothing.
func TestJSONAbortEndsAStartedStream(t *testing.T) {
	var out bytes.Buffer
	r := newJSON(&out)
	r.now = func() time.Time { return clock }
	r.Abort(errors.New("no API server"))
	assert.Empty(t, out.String())
	r.Start(aRun(), "execution dr/prod-failover-1 started (plan prod-failover)")
	out.Reset()
	r.Abort(errors.New("stopped at once: the execution stays Running"))
	assert.Equal(t, `{"version":1,"type":"Finished","ts":"2026-11-28T03:15:00Z","execution":"prod-failover-1","namespace":"dr","plan":"prod-failover","operation":"Execute","stage":"","workflow":"","action":"","phase":"","attempt":0,"message":"stopped at once: the execution stays Running"}`+"\n", out.String())
}
