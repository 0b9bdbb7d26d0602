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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/controller"
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
	args = append([]string{"serve", "--kubeconfig", kubeconfig, "--watch-namespace", namespace, "--webhook-port", "0", "--allow-controller-identity",
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

// electionHolder is the replica that leads the serve replicas of namespace ("" when none).
func electionHolder(c client.Client, ns string) string {
	l := &coordinationv1.Lease{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: controller.LeaderElectionID}, l); err != nil {
		return ""
	}
	return ptr.Deref(l.Spec.HolderIdentity, "")
}

// runnerPID is the pid of the runner that last claimed the execution.
func runnerPID(c client.Client, ns, name string) int64 {
	exec := &v1alpha1.DRPlanExecution{}
	if c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, exec) != nil || exec.Status.Runner == nil {
		return 0
	}
	return exec.Status.Runner.PID
}

// Two replicas with leader election. SIGTERM to the leader mid-run hands the run over: the running
// action finishes, the next leader resumes at once and nothing is sent twice. kill -9 of the
// next leader mid-run: a third replica takes over once the election and the plan Lease expire,
// and only the action that was running is sent again.
func TestServeReplicasTakeOverARunWithoutRepeatingFinishedActions(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	var mu sync.Mutex
	hits := map[string]int{}
	arrived := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/slow") {
			arrived <- r.URL.Path
			time.Sleep(2 * time.Second)
		}
	}))
	defer srv.Close()
	sent := func(execution, action string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits["/"+execution+"/"+action]
	}
	create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: steps}
spec:
  actions:
  - {name: first, type: HTTP, http: {url: "%[1]s/$(executionName)/first", method: POST}}
  - {name: slow, type: HTTP, http: {url: "%[1]s/$(executionName)/slow", method: POST}}
  - {name: after, type: HTTP, http: {url: "%[1]s/$(executionName)/after", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover}
spec:
  stages: [{name: only, workflows: [{workflowRef: {name: steps}}]}]
`, srv.URL))
	replica := func() *serveProcess {
		return startServe(t, kubeconfig, ns, "--leader-elect", "--leader-election-namespace", ns,
			"--leader-election-lease-duration", "3s", "--lease-duration", "3s", "--shutdown-grace", "10s")
	}
	apply := func(name string) {
		require.NoError(t, c.Create(context.Background(), &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "failover", OperationType: v1alpha1.OperationExecute}}))
	}
	awaitSlow := func() {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("the slow action never started")
		}
	}

	a := replica()
	require.Eventually(t, func() bool { return electionHolder(c, ns) != "" }, 30*time.Second, 100*time.Millisecond, "no leader elected")
	b := replica()

	// SIGTERM: the leader hands over.
	apply("graceful")
	awaitSlow()
	require.Equal(t, int64(a.cmd.Process.Pid), runnerPID(c, ns, "graceful"), "the first replica leads and runs it")
	require.NoError(t, a.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, a.cmd.Wait(), "a replica drains and exits 0 on SIGTERM")
	stopped := time.Now()
	got := awaitExecution(t, c, ns, "graceful", v1alpha1.PhaseSucceeded, 60*time.Second)
	t.Logf("handed over: the next leader finished the run %.1fs after the old one exited", time.Since(stopped).Seconds())
	assert.Equal(t, int64(b.cmd.Process.Pid), got.Status.Runner.PID, "the second replica finished it")
	for _, action := range []string{"first", "slow", "after"} {
		assert.Equal(t, 1, sent("graceful", action), "graceful/%s: a hand-over repeats nothing", action)
	}
	assert.Contains(t, a.logs(), "handed over")

	// kill -9: the next replica waits out the election and the plan Lease, then resumes.
	replica()
	apply("killed")
	awaitSlow()
	require.Equal(t, int64(b.cmd.Process.Pid), runnerPID(c, ns, "killed"))
	require.NoError(t, b.cmd.Process.Signal(syscall.SIGKILL))
	_ = b.cmd.Wait()
	killed := time.Now()
	require.Eventually(t, func() bool {
		pid := runnerPID(c, ns, "killed")
		return pid != 0 && pid != int64(b.cmd.Process.Pid)
	}, 60*time.Second, 50*time.Millisecond, "no replica took the run over")
	t.Logf("taken over %.1fs after the leader was killed (election and plan Lease 3s each)", time.Since(killed).Seconds())
	awaitExecution(t, c, ns, "killed", v1alpha1.PhaseSucceeded, 60*time.Second)
	assert.Equal(t, 1, sent("killed", "first"), "a finished action is not repeated")
	assert.Equal(t, 2, sent("killed", "slow"), "the action running at the kill is sent again (at-least-once)")
	assert.Equal(t, 1, sent("killed", "after"))
}

// A `drctl execute` killed mid-run (kill -9) is resumed by `drctl serve` once its plan Lease
// expires — never while it is live — and what finished is not sent again. Serve and the CLI never
// run one plan at once: a CLI execute while serve runs the plan exits 3.
func TestServeResumesACLIRunKilledMidWay(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	var mu sync.Mutex
	hits := map[string]int{}
	arrived := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			time.Sleep(2 * time.Second)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	s := startServe(t, kubeconfig, ns, "--lease-duration", "3s")

	run := exec.Command(drctlBinary(t), "execute", "web-failover", "--name", "laptop-run", "--lease-duration", "3s", "--kubeconfig", kubeconfig, "-n", ns)
	require.NoError(t, run.Start())
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		_ = run.Process.Kill()
		t.Fatal("the slow action never started")
	}
	// While the CLI runs it, serve leaves the plan alone, and another CLI run is refused.
	code, out := runDrctl(t, "execute", "web-failover", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, cmdutil.ExitLocked, code, out)
	require.NoError(t, run.Process.Signal(syscall.SIGKILL))
	_ = run.Wait()
	killed := time.Now()
	assert.NotEqual(t, "serve", runnerMode(c, ns, "laptop-run"), "serve waits for the dead runner's Lease to expire")

	got := awaitExecution(t, c, ns, "laptop-run", v1alpha1.PhaseSucceeded, 60*time.Second)
	t.Logf("resumed by serve and finished %.1fs after the CLI was killed (plan Lease 3s, slow action 2s)", time.Since(killed).Seconds())
	assert.Equal(t, "serve", got.Status.Runner.Mode)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, hits["/switch/cluster-b"], "the finished action is not repeated")
	assert.Equal(t, 2, hits["/slow"], "the action running at the kill is sent again (at-least-once)")
	assert.Contains(t, s.logs(), "start=resume")
}

func runnerMode(c client.Client, ns, name string) string {
	exec := &v1alpha1.DRPlanExecution{}
	if c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, exec) != nil || exec.Status.Runner == nil {
		return ""
	}
	return exec.Status.Runner.Mode
}

// Without --allow-controller-identity, serve does not lend its own rights to a plan of another
// namespace that names no ServiceAccount: the execution is recorded Failed, saying what to do.
func TestServeRefusesAPlanWithoutAServiceAccountOutsideItsNamespace(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("an action ran") }))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	startServe(t, kubeconfig, ns, "--allow-controller-identity=false", "--system-namespace", "drctl-system")
	require.NoError(t, c.Create(context.Background(), &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "borrowed", Namespace: ns},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationExecute}}))
	got := awaitExecution(t, c, ns, "borrowed", v1alpha1.PhaseFailed, 30*time.Second)
	assert.Contains(t, got.Status.Message, "set spec.serviceAccountName on DRPlan "+ns+"/web-failover")
}
