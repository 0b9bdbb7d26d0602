package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/jobsim"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// The fault tests run the real binary, as an operator would, against the tests' API server, and
// break things under it: kill -9, concurrent runs, partitions. Each runs seeded trials; a failure
// prints the seed (testenv.Seed) to replay it.

// counter counts the requests an HTTP target received, per path.
type counter struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *counter) add(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count == nil {
		c.count = map[string]int{}
	}
	c.count[path]++
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.count {
		out[k] = v
	}
	return out
}

// target is an HTTP endpoint for HTTP actions that answers after a short, fixed delay and counts.
func target(t *testing.T, delay time.Duration) (*httptest.Server, *counter) {
	c := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.add(r.URL.Path)
		time.Sleep(delay)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

// thirtyActions is a plan of 30 actions (announce 5, infra 2×6, migrate 3, apps 2×5): HTTP calls, ConfigMaps created and applied, a Job, in
// sequential and parallel stages. Every HTTP path names its stage instance, so the target's
// counts tell the actions apart.
func thirtyActions(url, plan string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: calls}
spec:
  parameters: [{name: tag, required: true}]
  actions:
  - {name: c1, type: HTTP, http: {url: "%[1]s/$(params.tag)/c1", method: POST}}
  - {name: c2, type: HTTP, http: {url: "%[1]s/$(params.tag)/c2", method: POST}}
  - {name: c3, type: HTTP, http: {url: "%[1]s/$(params.tag)/c3", method: POST}}
  - {name: c4, type: HTTP, http: {url: "%[1]s/$(params.tag)/c4", method: POST}}
  - {name: c5, type: HTTP, http: {url: "%[1]s/$(params.tag)/c5", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: data}
spec:
  parameters: [{name: tag, required: true}]
  actions:
  - {name: d1, type: HTTP, http: {url: "%[1]s/$(params.tag)/d1", method: POST}}
%[3]s
  - name: applied
    type: KubernetesResource
    resource:
      operation: Apply
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "$(params.tag)-applied"}
        data: {state: active}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: migrate}
spec:
  actions:
  - name: job
    type: Job
    job:
      template:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: migrate, image: busybox, command: ["true"]}]
  - {name: verify, type: HTTP, http: {url: "%[1]s/migrate/verify", method: POST}}
  - {name: report, type: HTTP, http: {url: "%[1]s/migrate/report", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %[2]s}
spec:
  stages:
  - {name: announce, workflows: [{workflowRef: {name: calls}, params: [{name: tag, value: announce}]}]}
  - name: infra
    dependsOn: [announce]
    parallel: true
    workflows:
    - {workflowRef: {name: data}, params: [{name: tag, value: mysql}]}
    - {workflowRef: {name: data}, params: [{name: tag, value: redis}]}
  - {name: migrate, dependsOn: [infra], workflows: [{workflowRef: {name: migrate}}]}
  - name: apps
    dependsOn: [migrate]
    parallel: true
    workflows:
    - {workflowRef: {name: calls}, params: [{name: tag, value: web}]}
    - {workflowRef: {name: calls}, params: [{name: tag, value: api}]}
`, url, plan, configMapActions(4))
}

// configMapActions is n actions that each create a ConfigMap.
func configMapActions(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `  - name: cm%[1]d
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "$(params.tag)-cm%[1]d"}
        data: {n: "%[1]d"}
`, i)
	}
	return strings.TrimRight(b.String(), "\n")
}

// started is a running drctl process whose stdout is read line by line.
type started struct {
	cmd   *exec.Cmd
	lines chan string
	out   *bytes.Buffer
	mu    sync.Mutex
	done  chan struct{}
}

// startDrctl runs the real binary with args.
func startDrctl(t *testing.T, args ...string) *started {
	t.Helper()
	cmd := exec.Command(drctlBinary(t), args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	s := &started{cmd: cmd, lines: make(chan string, 1024), out: &bytes.Buffer{}, done: make(chan struct{})}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			s.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	_ = stderr
	return s
}

// wait waits for the process to exit and returns its exit code.
func (s *started) wait(t *testing.T) int {
	for range s.lines { // drain
	}
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func (s *started) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// runDrctl runs the real binary to its end: exit code and combined output.
func runDrctl(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(drctlBinary(t), args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, string(out))
	return 0, string(out)
}

// labelled lists the objects of kind in ns that carry the execution's label.
func labelled(t *testing.T, c client.Client, list client.ObjectList, ns, execution string) int {
	t.Helper()
	require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{engine.LabelExecution: execution}))
	switch l := list.(type) {
	case *corev1.ConfigMapList:
		return len(l.Items)
	case *batchv1.JobList:
		return len(l.Items)
	}
	t.Fatalf("labelled: %T", list)
	return 0
}

// phases returns every action's phase by "stage/workflow[index]/action".
func phases(exec *v1alpha1.DRPlanExecution) map[string]v1alpha1.ExecutionPhase {
	out := map[string]v1alpha1.ExecutionPhase{}
	for _, ss := range exec.Status.StageStatuses {
		for j, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				out[fmt.Sprintf("%s/%s[%d]/%s", ss.Name, w.WorkflowRef.Name, j, a.Name)] = a.Phase
			}
		}
	}
	return out
}

// kubeconfigVia rewrites kubeconfig to reach the API server through addr (a proxy).
func kubeconfigVia(t *testing.T, kubeconfig, addr string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	require.NoError(t, err)
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + addr
	}
	path := filepath.Join(t.TempDir(), "kubeconfig-via-proxy")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// TestKillNineAtRandomPointsThenResume kills the real binary with SIGKILL at a random point of a
// 30-action plan (HTTP calls, ConfigMaps, a Job), then resumes it from another process: every time
// the run completes, no finished action runs again, every object exists once, and a revert
// afterwards leaves no object with the execution's label.
func TestKillNineAtRandomPointsThenResume(t *testing.T) {
	const trials = 20
	kubeconfig, _, c := cluster(t)
	seed := testenv.Seed(t)
	srv, hits := target(t, 20*time.Millisecond)
	t.Cleanup(func() {
		t.Logf("worst time from kill -9 to the resume holding the plan: %s (lease 3 s)", resumeLatency.worst().Round(time.Millisecond))
	})
	for i := range trials {
		trialSeed := seed + int64(i)
		t.Run(fmt.Sprintf("trial-%02d", i), func(t *testing.T) {
			t.Parallel()
			killAndResume(t, kubeconfig, c, srv.URL, hits, trialSeed)
		})
	}
}

// resumeLatency is the worst time from a kill to the resume holding the plan, over the trials.
var resumeLatency worstOf

type worstOf struct {
	mu sync.Mutex
	d  time.Duration
}

func (w *worstOf) observe(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = max(w.d, d)
}

func (w *worstOf) worst() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.d
}

func killAndResume(t *testing.T, kubeconfig string, c client.Client, url string, hits *counter, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	ns := fmt.Sprintf("kill-%d", seed%1_000_000_000)
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	prefix := url + "/" + ns
	create(t, c, ns, thirtyActions(prefix, "failover"))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go jobsim.CompleteAll(ctx, c, 100*time.Millisecond, 300*time.Millisecond, nil, ns)
	k := []string{"--kubeconfig", kubeconfig, "-n", ns}

	// Kill after a random number of progress lines (a transition each), and a random moment more.
	killAt := 1 + rng.IntN(75)
	extra := time.Duration(rng.IntN(150)) * time.Millisecond
	run := startDrctl(t, append([]string{"execute", "failover", "--name", "run", "--progress", "plain", "--lease-duration", "3s"}, k...)...)
	n := 0
	for range run.lines {
		if n++; n == killAt {
			break
		}
	}
	time.Sleep(extra)
	require.NoError(t, run.cmd.Process.Signal(syscall.SIGKILL))
	_ = run.wait(t)
	killed := time.Now()
	t.Logf("seed %d: killed after %d lines and %s", seed, killAt, extra)

	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run"}, exec), run.output())
	require.NoError(t, engine.Overlay(context.Background(), c, exec), "what the runner made durable: the record and its journal")
	atKill := phases(exec)
	sentAtKill := hits.snapshot()
	if exec.Status.Phase == v1alpha1.PhaseRunning {
		resume := startDrctl(t, append([]string{"resume", "run", "--progress", "plain"}, k...)...)
		first := <-resume.lines // "execution NS/run resumed (...)": it holds the plan and goes on
		latency := time.Since(killed)
		require.Equal(t, 0, resume.wait(t), resume.output())
		require.Contains(t, first, "resumed")
		resumeLatency.observe(latency)
		t.Logf("resumed %s after the kill; the resume ran %s", latency.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run"}, exec))
	require.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.Phase, exec.Status.Message)
	sent := hits.snapshot()
	for action, phase := range phases(exec) {
		assert.Equal(t, v1alpha1.PhaseSucceeded, phase, action)
	}
	// No finished action ran again; an interrupted one at most once more.
	for path, n := range sent {
		if !strings.HasPrefix(path, "/"+ns+"/") {
			continue
		}
		assert.LessOrEqual(t, n, sentAtKill[path]+1, "%s sent %d times", path, n)
	}
	for action, phase := range atKill {
		if phase != v1alpha1.PhaseSucceeded {
			continue
		}
		if path := httpPath(ns, action); path != "" {
			assert.Equal(t, sentAtKill[path], sent[path], "%s finished before the kill and was sent again", action)
		}
	}
	assert.Equal(t, 10, labelled(t, c, &corev1.ConfigMapList{}, ns, "run"), "every ConfigMap exists once")
	assert.Equal(t, 1, labelled(t, c, &batchv1.JobList{}, ns, "run"), "the Job exists once")

	// A kill after the end was recorded but before the lock was released leaves the lock to expire.
	code, out := runDrctl(t, append([]string{"revert", "run", "--name", "undo", "--progress", "plain", "--lock-timeout", "10s"}, k...)...)
	require.Equal(t, 0, code, out)
	assert.Zero(t, labelled(t, c, &corev1.ConfigMapList{}, ns, "run"), "the revert left a ConfigMap of the run:\n%s", out)
	assert.Zero(t, labelled(t, c, &batchv1.JobList{}, ns, "run"), "the revert left the Job of the run")
}

// httpPath is the path an HTTP action of thirtyActions calls, from its "stage/workflow(tag=x)/action".
func httpPath(ns, action string) string {
	parts := strings.Split(action, "/")
	stage, wf, name := parts[0], parts[1], parts[2]
	switch {
	case strings.HasPrefix(wf, "calls"):
		tag := stage
		if stage == "apps" {
			tag = map[string]string{"calls(tag=web)": "web", "calls(tag=api)": "api"}[wf]
		}
		return "/" + ns + "/" + tag + "/" + name
	case strings.HasPrefix(wf, "data") && name == "d1":
		return "/" + ns + "/" + map[string]string{"data(tag=mysql)": "mysql", "data(tag=redis)": "redis"}[wf] + "/d1"
	case name == "verify" || name == "report":
		return "/" + ns + "/migrate/" + name
	}
	return ""
}

// gate is an HTTP target whose requests wait until the test opens the gate of their path.
type gate struct {
	mu      sync.Mutex
	arrived map[string]int
	open    map[string]chan struct{}
}

func newGate(t *testing.T) (*httptest.Server, *gate) {
	g := &gate{arrived: map[string]int{}, open: map[string]chan struct{}{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.arrived[r.URL.Path]++
		ch := g.channel(r.URL.Path)
		g.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(2 * time.Minute):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, g
}

func (g *gate) channel(path string) chan struct{} {
	if g.open[path] == nil {
		g.open[path] = make(chan struct{})
	}
	return g.open[path]
}

func (g *gate) release(path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.channel(path))
}

func (g *gate) count(path string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.arrived[path]
}

// TestConcurrentExecutesOfOnePlanOnlyOneRuns starts 2, then 10, `drctl execute` of one plan at
// once, 20 trials each: exactly one runs; every other exits 3 naming the holder, having created
// nothing.
func TestConcurrentExecutesOfOnePlanOnlyOneRuns(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv, g := newGate(t)
	for _, n := range []int{2, 10} {
		for i := range 20 {
			plan := fmt.Sprintf("race-%d-%d", n, i)
			create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: %[1]s}
spec:
  actions: [{name: hold, type: HTTP, http: {url: "%[2]s/%[1]s", method: POST}}]
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %[1]s}
spec:
  stages: [{name: only, workflows: [{workflowRef: {name: %[1]s}}]}]
`, plan, srv.URL))
			t.Run(plan, func(t *testing.T) {
				t.Parallel()
				concurrentExecutes(t, kubeconfig, ns, c, g, plan, n)
			})
		}
	}
}

// cpuHeavy bounds the trials that start many processes at once, on a 2-core machine.
var cpuHeavy = make(chan struct{}, 2)

func concurrentExecutes(t *testing.T, kubeconfig, ns string, c client.Client, g *gate, plan string, n int) {
	cpuHeavy <- struct{}{}
	defer func() { <-cpuHeavy }()
	type outcome struct {
		code int
		out  string
	}
	results := make(chan outcome, n)
	for range n {
		go func() {
			cmd := exec.Command(drctlBinary(t), "execute", plan, "--progress", "plain", "--kubeconfig", kubeconfig, "-n", ns)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results <- outcome{code, string(out)}
		}()
	}
	// The n-1 that lose exit while the winner waits at the gate; then the winner may finish.
	locked := 0
	for range n - 1 {
		select {
		case r := <-results:
			require.Equal(t, 3, r.code, "a runner that lost the race must exit 3:\n%s", r.out)
			assert.Contains(t, r.out, "plan is locked by execution "+plan+"-")
			locked++
		case <-time.After(90 * time.Second):
			t.Fatalf("%d of %d runs ended", locked, n-1)
		}
	}
	require.Eventually(t, func() bool { return g.count("/"+plan) == 1 }, 60*time.Second, 20*time.Millisecond, "the winner runs")
	g.release("/" + plan)
	select {
	case r := <-results:
		require.Equal(t, 0, r.code, r.out)
	case <-time.After(90 * time.Second):
		t.Fatal("the winner never ended")
	}
	assert.Equal(t, 1, g.count("/"+plan), "the plan's action ran once")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{engine.LabelPlan: plan}))
	assert.Len(t, list.Items, 1, "the runs that lost created nothing")
}
