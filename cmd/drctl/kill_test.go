package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// TestKillNineThenResume runs the real binary, kills it with SIGKILL in the middle of an action,
// and resumes the execution from another process: nothing that finished runs again.
func TestKillNineThenResume(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	bin := drctlBinary(t)

	var mu sync.Mutex
	count := map[string]int{}
	arrived := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		count[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			time.Sleep(2 * time.Second)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))

	run := exec.Command(bin, "execute", "web-failover", "--name", "run-k", "--lease-duration", "3s", "--kubeconfig", kubeconfig, "-n", ns)
	require.NoError(t, run.Start())
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		_ = run.Process.Kill()
		t.Fatal("the second action never started")
	}
	require.NoError(t, run.Process.Signal(syscall.SIGKILL))
	_ = run.Wait()

	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-k"}, exec))
	require.NoError(t, engine.Overlay(context.Background(), c, exec), "what the runner made durable: the record and its journal")
	require.Equal(t, v1alpha1.PhaseRunning, exec.Status.Phase)
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Phase)
	assert.Equal(t, v1alpha1.PhaseRunning, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[1].Phase)

	// The dead runner's lease (3 s) must expire first; resume waits for it.
	start := time.Now()
	code, stdout, stderr := drctl(t, "", "resume", "run-k", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, stdout+stderr)
	assert.Less(t, time.Since(start), 30*time.Second, "resume starts within 30 s of the crash (SC-005)")
	assert.Contains(t, stdout, "execution "+ns+"/run-k resumed (plan web-failover, progress 1/2)")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, count["/switch/cluster-b"], "the finished action was not repeated")
	assert.Equal(t, 2, count["/slow"], "the interrupted one was sent again")
}
