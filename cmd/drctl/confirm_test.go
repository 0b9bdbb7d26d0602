package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// On a terminal, execute and revert show what they will do and ask first; without one (every
// other test of this package) they never ask.
func TestExecuteAndRevertAskOnATerminal(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns, "--progress", "plain"}
	onTerminal := func(answer string, args ...string) (int, string, string) {
		streams, in, out, errOut := iostreams.Test()
		streams.StdinTTY, streams.StdoutTTY, streams.StderrTTY = true, true, true
		in.WriteString(answer)
		code := run(context.Background(), streams, append(args, k...))
		return code, out.String(), errOut.String()
	}
	executions := func() int {
		list := &v1alpha1.DRPlanExecutionList{}
		require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns)))
		return len(list.Items)
	}

	for _, tc := range []struct {
		name, answer string
		args         []string
		code, runs   int
		asked        bool
	}{
		{name: "declined", answer: "n\n", args: []string{"execute", "web-failover", "-p", "regoin=us"}, code: 4, asked: true},
		{name: "no answer", answer: "", args: []string{"execute", "web-failover"}, code: 4, asked: true},
		{name: "yes", answer: "y\n", args: []string{"execute", "web-failover", "--name", "run-y"}, code: 0, runs: 1, asked: true},
		{name: "--yes asks nothing", answer: "", args: []string{"execute", "web-failover", "--yes", "--name", "run-2"}, code: 0, runs: 2},
		{name: "a dry run asks nothing", answer: "", args: []string{"execute", "web-failover", "--dry-run"}, code: 0, runs: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := onTerminal(tc.answer, tc.args...)
			assert.Equal(t, tc.code, code, out+errOut)
			assert.Equal(t, tc.runs, executions(), "executions created")
			if !tc.asked {
				assert.NotContains(t, errOut, "Continue?")
				return
			}
			assert.Contains(t, errOut, "About to execute plan "+ns+"/web-failover: 1 stages, 2 actions.\n")
			assert.Contains(t, errOut, "Touches: HTTP "+srv.Listener.Addr().String()+"\n")
			assert.Contains(t, errOut, "A revert cannot undo (1):\n  web/web/wait: HTTP actions have no automatic rollback (revert skips it)\n")
			assert.Contains(t, errOut, "Continue? [y/N] ")
			if tc.code == 4 {
				assert.Contains(t, errOut, "aborted: nothing was changed")
			}
		})
	}
	// The declined runs sent nothing: the two that ran sent two calls each.
	assert.Equal(t, 4, calls)
	code, _, errOut := onTerminal("", "execute", "web-failover", "-p", "regoin=us")
	assert.Equal(t, 4, code)
	assert.Contains(t, errOut, "Warnings (1):\n  parameter \"regoin\" is neither declared nor used", "warnings are part of the summary")

	code, out, errOut := onTerminal("n\n", "revert", "run-y")
	assert.Equal(t, 4, code, out+errOut)
	assert.Contains(t, errOut, "About to revert "+ns+"/run-y (Execute of plan web-failover, Succeeded): 2 actions in 1 stages to undo.\n")
	assert.Contains(t, errOut, "  web/web/wait\n  web/web/switch\n")
	assert.Equal(t, 2, executions(), "the declined revert created nothing")
	code, out, errOut = onTerminal("yes\n", "revert", "run-y", "--name", "undo-y")
	assert.Equal(t, 0, code, out+errOut)
	assert.Equal(t, 3, executions())

	// What cannot be reverted is refused before anyone is asked, as without a terminal.
	code, _, errOut = onTerminal("y\n", "revert", "undo-y")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "undo-y is a Revert execution; only an Execute can be reverted")
	assert.NotContains(t, errOut, "Continue?")
	code, _, errOut = onTerminal("y\n", "revert", "no-such-run")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "DRPlanExecution "+ns+"/no-such-run not found")

	// Ctrl-C at the question declines, and nothing runs: the user never answers.
	streams, in, out2, errOut2 := iostreams.Test()
	streams.StdinTTY, streams.StdoutTTY, streams.StderrTTY = true, true, true
	interrupts := make(chan os.Signal, 2)
	interrupts <- syscall.SIGINT
	code = runWithSignals(context.Background(), streams, append([]string{"execute", "web-failover"}, k...), interrupts)
	assert.Equal(t, 4, code, out2.String()+errOut2.String())
	assert.Contains(t, errOut2.String(), "Continue? [y/N] \nError: aborted: nothing was changed")
	in.WriteString("y\n") // too late
	assert.Equal(t, 3, executions())

	// stderr redirected: a question no one would see is not asked, and the run goes ahead.
	streams, _, _, errOut2 = iostreams.Test()
	streams.StdinTTY, streams.StdoutTTY = true, true
	code = run(context.Background(), streams, append([]string{"execute", "web-failover", "--name", "run-unseen", "--progress", "plain"}, k...))
	assert.Equal(t, 0, code, errOut2.String())
	assert.NotContains(t, errOut2.String(), "Continue?")
	assert.Equal(t, 4, executions())
}
