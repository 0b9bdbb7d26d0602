package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// controlledPlan fails over a database whose promote answers 500 until fixed, then, after an
// approval, switches traffic. Its onFailure is Ask: a failure waits for the operator.
func controlledPlan(url string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: db}
spec:
  actions:
  - {name: freeze, type: HTTP, http: {url: "%[1]s/db/freeze", method: POST}}
  - {name: promote, type: HTTP, http: {url: "%[1]s/db/promote", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: traffic}
spec:
  actions:
  - {name: switch, type: HTTP, http: {url: "%[1]s/traffic/switch", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: guarded}
spec:
  onFailure: Ask
  stages:
  - {name: database, workflows: [{workflowRef: {name: db}}]}
  - name: traffic
    dependsOn: [database]
    approval: {message: "check the replica caught up"}
    workflows: [{workflowRef: {name: traffic}}]
`, url)
}

// TestOperatorControlsFromOtherProcesses: a run in one process is steered from others — a
// failed action retried after its endpoint is fixed, a pause and a continue, refusals with the
// reason, and an approval sent from drctl watch's live view — and the record tells who did what.
func TestOperatorControlsFromOtherProcesses(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	var fixed atomic.Bool
	hits := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.URL.Path)
		if r.URL.Path == "/db/promote" && !fixed.Load() {
			http.Error(w, "replica still read-only", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	create(t, c, ns, controlledPlan(srv.URL))
	flags := []string{"--kubeconfig", kubeconfig, "-n", ns}
	drctl := func(args ...string) (int, string) { return runDrctl(t, append(args, flags...)...) }
	record := func() *v1alpha1.DRPlanExecution {
		exec := &v1alpha1.DRPlanExecution{}
		require.NoError(t, c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "run-ctl"}, exec))
		return exec
	}
	var run *started
	waitingOn := func(step string) {
		t.Helper()
		require.Eventually(t, func() bool {
			exec := &v1alpha1.DRPlanExecution{}
			if c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "run-ctl"}, exec) != nil {
				return false
			}
			for _, w := range exec.Status.Waiting {
				if w.Step == step {
					return true
				}
			}
			return false
		}, 20*time.Second, 50*time.Millisecond, "%s never waited:\n%s", step, run.output())
	}

	run = startDrctl(t, append([]string{"execute", "guarded", "--name", "run-ctl", "--progress", "plain"}, flags...)...)
	waitingOn("database/db/promote")
	assert.Equal(t, v1alpha1.PhaseRunning, record().Status.Phase, "the failure waits instead of ending the run")

	code, out := drctl("skip", "run-ctl", "promote")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "skip needs --reason")
	code, out = drctl("approve", "run-ctl")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "approve applies to no step of run-ctl: database/db/promote waits for retry, skip or reject")

	fixed.Store(true)
	code, out = drctl("retry", "run-ctl", "promote", "--reason", "made the replica writable")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Retry sent to database/db/promote of run-ctl")
	waitingOn("traffic")
	assert.Equal(t, 2, hits.snapshot()["/db/promote"])

	code, out = drctl("pause", "run-ctl", "--reason", "bridge call")
	require.Equal(t, 0, code, out)
	require.Eventually(t, func() bool { return engine.Paused(record()) }, 10*time.Second, 50*time.Millisecond)
	code, out = drctl("pause", "run-ctl")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "run-ctl is already paused")
	code, out = drctl("continue", "run-ctl")
	require.Equal(t, 0, code, out)

	// A watch closed with q stops at once, and says the run goes on.
	quitter := inTerminal(t, 120, append([]string{"watch", "run-ctl"}, flags...)...)
	quitter.scr.waitFor(t, `WAITING traffic`)
	quitter.press(t, "q")
	require.NoError(t, quitter.exit(t, 10*time.Second), quitter.scr.text())
	quitter.scr.waitFor(t, `stopped watching run-ctl; it goes on wherever it runs`)

	// The approval comes from the live view of drctl watch, in another terminal.
	watch := inTerminal(t, 120, append([]string{"watch", "run-ctl"}, flags...)...)
	watch.scr.waitFor(t, `WAITING traffic \(a approve · x reject\): check the replica caught up`)
	watch.press(t, "a")
	watch.scr.waitFor(t, `Approve traffic\? Reason \(optional\), enter sends, esc cancels:`)
	watch.press(t, "replica lag 0s\r")
	require.NoError(t, watch.exit(t, 30*time.Second), "watch exits 0 when the run succeeds:\n%s", watch.scr.text())
	require.Equal(t, 0, run.wait(t), run.output())
	assert.Equal(t, 1, hits.snapshot()["/traffic/switch"])
	assert.Contains(t, run.output(), "Waiting   step database/db/promote: waits for retry, skip or reject: POST "+srv.URL+"/db/promote: unexpected status 500: replica still read-only")
	assert.Contains(t, run.output(), "Signal    step traffic: Approve traffic by ")

	final := record()
	assert.Equal(t, v1alpha1.PhaseSucceeded, final.Status.Phase)
	var got []string
	for _, s := range final.Status.Signals {
		got = append(got, fmt.Sprintf("%s %s %s %q", s.Verb, s.Step, s.Result, s.Reason))
		assert.NotEmpty(t, s.By)
	}
	assert.Equal(t, []string{
		`Retry database/db/promote Applied "made the replica writable"`,
		`Pause  Applied "bridge call"`,
		`Continue  Applied ""`,
		`Approve traffic Applied "replica lag 0s"`,
	}, got)
	code, out = drctl("describe", "execution", "run-ctl")
	require.Equal(t, 0, code, out)
	assert.Regexp(t, `Signals:\n\s+SENT\s+BY\s+SIGNAL\s+STEP\s+RESULT\s+REASON\s+MESSAGE\n.*Retry\s+database/db/promote\s+Applied\s+made the replica writable`, out)

	code, out = drctl("continue", "run-ctl")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "run-ctl is Succeeded; continue applies only to a running execution")
}
