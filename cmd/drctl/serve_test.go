package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// serveProcess is `drctl serve` running as a process, as in a pod.
type serveProcess struct {
	cmd             *exec.Cmd
	metrics, probes string // base URLs
	mu              sync.Mutex
	stderr          bytes.Buffer
}

func (s *serveProcess) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *serveProcess) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// startServe runs drctl serve on namespace and waits until it is ready.
func startServe(t *testing.T, kubeconfig, namespace string, args ...string) *serveProcess {
	t.Helper()
	s := &serveProcess{metrics: "http://" + freeAddr(t), probes: "http://" + freeAddr(t)}
	args = append([]string{"serve", "--kubeconfig", kubeconfig, "--watch-namespace", namespace,
		"--metrics-bind-address", s.metrics[len("http://"):], "--health-probe-bind-address", s.probes[len("http://"):]}, args...)
	s.cmd = exec.Command(drctlBinary(t), args...)
	s.cmd.Stderr = s
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("drctl serve logs:\n%s", s.logs())
		}
	})
	require.Eventually(t, func() bool { return httpStatus(s.probes+"/readyz") == http.StatusOK }, 30*time.Second, 100*time.Millisecond,
		"drctl serve never became ready")
	return s
}

// freeAddr is a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func httpBody(t *testing.T, url string) string {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// awaitExecution waits until the execution reaches phase.
func awaitExecution(t *testing.T, c client.Client, ns, name string, phase v1alpha1.ExecutionPhase, within time.Duration) *v1alpha1.DRPlanExecution {
	t.Helper()
	exec := &v1alpha1.DRPlanExecution{}
	require.Eventually(t, func() bool {
		return c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, exec) == nil && exec.Status.Phase == phase
	}, within, 100*time.Millisecond, "execution %s never reached %s (it is %q: %s)", name, phase, exec.Status.Phase, exec.Status.Message)
	return exec
}

// `kubectl apply` of an execution runs it to Succeeded under drctl serve, /metrics shows the run,
// and SIGTERM stops serve cleanly.
func TestServeRunsAnAppliedExecution(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	s := startServe(t, kubeconfig, ns)
	assert.Equal(t, http.StatusOK, httpStatus(s.probes+"/healthz"))

	applied := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "gitops-1", Namespace: ns},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationExecute}}
	require.NoError(t, c.Create(context.Background(), applied))
	got := awaitExecution(t, c, ns, "gitops-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	require.NotNil(t, got.Status.Runner)
	assert.Equal(t, "serve", got.Status.Runner.Mode)

	var metrics string
	require.Eventually(t, func() bool {
		metrics = httpBody(t, s.metrics+"/metrics")
		return bytes.Contains([]byte(metrics), []byte(`drctl_executions_finished_total{operation="Execute",phase="Succeeded"} 1`))
	}, 10*time.Second, 100*time.Millisecond, "the run is not in /metrics")
	assert.Contains(t, metrics, `drctl_action_duration_seconds_count{phase="Succeeded",type="HTTP"} 2`)
	assert.Contains(t, metrics, `drctl_executions_started_total{operation="Execute",start="run"} 1`)
	assert.Contains(t, metrics, "drctl_executions_running 0")

	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		assert.NoError(t, err, "serve exits 0 on SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	assert.Contains(t, s.logs(), fmt.Sprintf("execution=%s/gitops-1", ns))
}
