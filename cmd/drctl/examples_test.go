package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/cmd/root"
	"github.com/drctl/drctl/pkg/crd"
)

// examplePlan is what the examples act on: the plan prod-failover in namespace dr, with the
// parameter targetCluster they override.
func examplePlan(url string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: switch-traffic}
spec:
  parameters: [{name: targetCluster, required: true}]
  actions:
  - name: switch
    type: HTTP
    http: {url: "%[1]s/switch/$(params.targetCluster)", method: POST}
    rollback: {type: HTTP, http: {url: "%[1]s/undo/$(params.targetCluster)", method: POST}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: prod-failover}
spec:
  globalParams: [{name: targetCluster, value: cluster-a}]
  stages: [{name: traffic, workflows: [{workflowRef: {name: switch-traffic}}]}]
`, url)
}

// exampleOutcomes are the examples that do not exit 0 here, and why that is right.
var exampleOutcomes = map[string]struct {
	code int
	why  string
}{
	"drctl resume prod-failover-20261128-031500-a1b2 -n dr": {2, "the execution the examples name has ended; resume refuses a finished run"},
	"drctl uninstall": {2, "without a terminal to ask on, uninstall refuses; the next example passes --yes"},
	// The operator's controls act on a live run; TestOperatorControlsFromOtherProcesses sends each
	// to one. Here they must reach the cluster and be refused for the reason a user would get.
	`drctl pause prod-failover-20261128-031500-a1b2 --reason "replica lag above 30s"`:                                {2, signalRefused},
	`drctl continue prod-failover-20261128-031500-a1b2 --reason "lag back under 1s"`:                                 {2, signalRefused},
	`drctl approve prod-failover-20261128-031500-a1b2 switch-traffic --reason "DB replica verified"`:                 {2, signalRefused},
	`drctl reject prod-failover-20261128-031500-a1b2 switch-traffic --reason "replica 10 min behind"`:                {2, signalRefused},
	`drctl retry prod-failover-20261128-031500-a1b2 mysql-failover/promote-replica --reason "primary made writable"`: {2, signalRefused},
	`drctl skip prod-failover-20261128-031500-a1b2 warm-cache --reason "cache warm-up not needed today"`:             {2, signalRefused},
}

const signalRefused = "the execution the examples name has ended; a signal applies only to a running execution"

// TestEveryCommandsExamplesRun runs every example of every command's help, as written, with the
// built binary in a shell (pipes, redirections and environment included), against an API server
// of its own: examples install the controller and uninstall the CRDs. The files and objects they
// name exist; each must exit 0 unless exampleOutcomes says otherwise.
func TestEveryCommandsExamplesRun(t *testing.T) {
	e, err := testenv.Start(testenv.Options{})
	require.NoError(t, err)
	defer func() { _ = e.Stop() }()
	c, err := client.New(e.Config, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	require.NoError(t, crd.Install(context.Background(), e.Config, crd.InstallOptions{Timeout: 30 * time.Second}))
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dr"}}))
	var mu sync.Mutex
	var calls []string
	probes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodHead { // drctl check --probe-http
			probes++
			return
		}
		calls = append(calls, r.URL.Path)
	}))
	defer srv.Close()
	create(t, c, "dr", examplePlan(srv.URL))

	// The shell's world: drctl and kubectl on the PATH, a kubeconfig whose context works in dr,
	// and the files the validate examples read.
	kubeconfig := kubeconfigInNamespace(t, e.Kubeconfig(t), "dr")
	binDir := t.TempDir()
	require.NoError(t, os.Symlink(drctlBinary(t), filepath.Join(binDir, "drctl")))
	assets, err := testenv.AssetsDir()
	require.NoError(t, err)
	require.NoError(t, os.Symlink(filepath.Join(assets, "kubectl"), filepath.Join(binDir, "kubectl")))
	work := t.TempDir()
	for _, dir := range []string{"examples", "deploy/dr", "plans", "overlays/prod"} {
		require.NoError(t, os.MkdirAll(filepath.Join(work, dir), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(work, dir, "plan.yaml"), []byte(examplePlan("https://lb.example.com")), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(work, "overlays/prod/kustomization.yaml"), []byte("resources: [plan.yaml]\n"), 0o644))
	shellEnv := append(os.Environ(), "PATH="+binDir+":/usr/bin:/bin", "KUBECONFIG="+kubeconfig, "CI=true")

	// The execution the examples name.
	shell(t, work, shellEnv, "drctl execute prod-failover --name prod-failover-20261128-031500-a1b2 --progress plain", 0)

	seen := map[string]bool{}
	for _, example := range commandExamples(t) {
		t.Run(example, func(t *testing.T) {
			seen[example] = true
			want := exampleOutcomes[example].code
			if strings.HasPrefix(example, "drctl serve") {
				serveExample(t, work, shellEnv, example)
				return
			}
			out := shell(t, work, shellEnv, example, want)
			if exampleOutcomes[example].why == signalRefused {
				assert.Contains(t, out, "applies only to a running execution", "refused for its reason")
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/switch/cluster-a", "/switch/cluster-b", "/switch/cluster-a", "/switch/cluster-a", "/undo/cluster-a",
		"/switch/standby", "/undo/standby", "/switch/cluster-a", "/undo/cluster-a"}, calls,
		"the fixture's run, the three executes (one with -p targetCluster=cluster-b), the revert of the fixture's run, and two drills (execute, revert)")
	assert.Positive(t, probes, "check --probe-http probed the endpoint")
	for example := range exampleOutcomes {
		assert.True(t, seen[example], "exampleOutcomes names %q, which no command shows any more", example)
	}
}

// exampleOrder is the order the commands' examples run in: a run before what inspects and
// reverts it, and what installs the controller and removes the CRDs last.
var exampleOrder = []string{"drctl", "validate", "check", "execute", "revert", "resume", "cancel",
	"pause", "continue", "approve", "reject", "retry", "skip", "drill", "get", "describe", "history", "report", "status", "watch",
	"config", "version", "completion", "install", "serve", "uninstall"}

// commandExamples are the example command lines of every command, in exampleOrder.
func commandExamples(t *testing.T) []string {
	streams, _, _, _ := iostreams.Test()
	drctl := root.NewCmdRoot(streams, nil)
	drctl.InitDefaultCompletionCmd()
	var lines []string
	collect := func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				lines = append(lines, line)
			}
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// completion is cobra's, documented in its Long text
		if c.Name() != "completion" && c.Parent().Name() != "completion" {
			assert.NotEmpty(t, c.Example, "%s has no examples", c.CommandPath())
		}
		collect(c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	assert.NotEmpty(t, drctl.Example)
	for _, name := range exampleOrder {
		found := name == "drctl"
		if name == "drctl" {
			collect(drctl)
		}
		for _, c := range drctl.Commands() {
			if c.Name() == name {
				walk(c)
				found = true
			}
		}
		assert.True(t, found, "exampleOrder names %s, which drctl has not", name)
	}
	for _, c := range drctl.Commands() {
		assert.Contains(t, exampleOrder, c.Name(), "exampleOrder misses a command, whose examples would not run")
	}
	require.Greater(t, len(lines), 30)
	return lines
}

// shell runs line with sh in dir, checks its exit code and returns its output.
func shell(t *testing.T, dir string, env []string, line string, want int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	assert.Equal(t, want, code, "%s\n%s", line, out)
	return string(out)
}

// serveExample starts drctl serve as the example says, waits until it is ready (its default
// probe address) and stops it with SIGTERM, which must end it cleanly.
func serveExample(t *testing.T, dir string, env []string, line string) {
	cmd := exec.Command("sh", "-c", "exec "+line)
	cmd.Dir, cmd.Env = dir, env
	logs := &serveProcess{} // a locked buffer: the process writes while the test reads
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was ready (%v):\n%s", line, err, logs.logs())
		default:
		}
		ready = httpStatus("http://127.0.0.1:8081/readyz") == http.StatusOK
	}
	if !ready {
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s was not ready within 30 s:\n%s", line, logs.logs())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		assert.NoError(t, err, "%s on SIGTERM:\n%s", line, logs.logs())
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s did not stop within a minute of SIGTERM:\n%s", line, logs.logs())
	}
}

// kubeconfigInNamespace is a copy of the kubeconfig at path whose context works in namespace.
func kubeconfigInNamespace(t *testing.T, path, namespace string) string {
	cfg, err := clientcmd.LoadFromFile(path)
	require.NoError(t, err)
	cfg.Contexts[cfg.CurrentContext].Namespace = namespace
	out := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, out))
	return out
}
