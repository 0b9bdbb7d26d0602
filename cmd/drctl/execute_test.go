package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/progress"
)

// cluster prepares the API server for a command test: CRDs installed, a fresh namespace, a
// kubeconfig, and a client.
func cluster(t *testing.T) (kubeconfig, namespace string, c client.Client) {
	t.Helper()
	e := testenv.Require(t, env)
	require.NoError(t, crd.Install(context.Background(), e.Config, crd.InstallOptions{Timeout: 30 * time.Second}))
	c, err := client.New(e.Config, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	namespace = fmt.Sprintf("cli-%d", time.Now().UnixNano()%1000000)
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}))
	return e.Kubeconfig(t), namespace, c
}

func create(t *testing.T, c client.Client, namespace, docs string) {
	t.Helper()
	testenv.Apply(t, c, namespace, docs)
}

func planYAMLs(url string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: web}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - name: switch
    type: HTTP
    http: {url: "%[1]s/switch/$(params.target)", method: POST}
    rollback: {type: HTTP, http: {url: "%[1]s/undo/$(params.target)", method: POST}}
  - name: wait
    type: HTTP
    http: {url: "%[1]s/slow"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: web-failover}
spec:
  globalParams: [{name: target, value: cluster-b}]
  stages: [{name: web, workflows: [{workflowRef: {name: web}}]}]
`, url)
}

func TestExecuteRevertAndExitCodes(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path == "/switch/broken" {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns}

	code, out, errOut := drctl(t, "", append([]string{"execute", "web-failover", "--name", "run-1"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "execution "+ns+"/run-1 started (plan web-failover)", lines[0], "the first line names the execution")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ Succeeded action web/web/switch: POST .*/switch/cluster-b: 200`, findLine(lines, "action web/web/switch: POST"))
	assert.Regexp(t, `^execution run-1 Succeeded in \S+: 2 succeeded, 0 failed, 0 skipped$`, lines[len(lines)-1])
	assert.NotContains(t, out, "\x1b[", "no escape codes without a terminal")

	code, out, _ = drctl(t, "", append([]string{"execute", "web-failover", "--name", "run-2", "-p", "target=broken", "--progress", "json"}, k...)...)
	assert.Equal(t, 1, code, "the run failed")
	records := jsonLines(t, out)
	assert.Equal(t, "Started", records[0]["type"])
	assert.Equal(t, "run-2", records[0]["execution"])
	assert.Equal(t, "Finished", records[len(records)-1]["type"])
	assert.Equal(t, "Failed", records[len(records)-1]["phase"])
	var failed map[string]any
	for _, ev := range records {
		if ev["phase"] == "Failed" && ev["action"] == "switch" {
			failed = ev
		}
	}
	require.NotNil(t, failed, out)
	assert.Equal(t, "run-2", failed["execution"])
	assert.Contains(t, failed["message"], "unexpected status 403")

	code, out, errOut = drctl(t, "", append([]string{"revert", "run-1", "--name", "undo-1"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "execution "+ns+"/undo-1 started (revert of run-1, plan web-failover): 2 succeeded actions in 1 stages to undo, in this order:\n  undo web/web/wait\n  undo web/web/switch\n")
	assert.Equal(t, "/undo/cluster-b", paths[len(paths)-1])

	code, _, errOut = drctl(t, "", append([]string{"execute", "no-such-plan"}, k...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "DRPlan "+ns+"/no-such-plan not found")

	code, _, errOut = drctl(t, "", append([]string{"execute", "web-failover", "-p", "oops"}, k...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `-p "oops": want name=value`)

	code, out, _ = drctl(t, "", append([]string{"cancel", "run-1"}, k...)...)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "run-1 is already Succeeded; the cancel request is ignored")
}

func TestExecuteOnALockedPlanExitsThree(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	create(t, c, ns, planYAMLs("http://127.0.0.1:1"))
	now := metav1.NewMicroTime(time.Now())
	require.NoError(t, c.Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "drplan-web-failover", Namespace: ns},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("execution other by bob@desk pid 7"), LeaseDurationSeconds: ptr.To(int32(3600)),
			AcquireTime: &now, RenewTime: &now},
	}))
	code, _, errOut := drctl(t, "", "execute", "web-failover", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, 3, code)
	assert.Contains(t, errOut, "plan is locked by execution other by bob@desk pid 7 (lease expires ")
}

func TestInterruptCancelsGracefully(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/switch/cluster-b" {
			arrived <- struct{}{}
			time.Sleep(time.Second)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	streams, _, out, errOut := iostreams.Test()
	interrupts := make(chan os.Signal, 2)
	go func() {
		<-arrived
		interrupts <- syscall.SIGINT // Ctrl-C once, while the first action runs
	}()
	code := runWithSignals(context.Background(), streams, []string{"execute", "web-failover", "--name", "run-c", "--kubeconfig", kubeconfig, "-n", ns}, interrupts)
	assert.Equal(t, 4, code, out.String()+errOut.String())
	assert.Contains(t, errOut.String(), "canceling run-c: running actions finish, the rest are skipped")
	assert.Contains(t, out.String(), "execution run-c Canceled")
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run-c"}, exec))
	assert.Equal(t, "true", exec.Annotations["dr.bkbcs.tencent.com/cancel"], "the cancel is on the record")
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[0].Phase)
	assert.Equal(t, v1alpha1.PhaseSkipped, exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses[1].Phase)
}

func TestDryRunRendersEverythingAndCreatesNothing(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	create(t, c, ns, planYAMLs("https://hooks.example.com"))
	code, out, errOut := drctl(t, "", "execute", "web-failover", "--dry-run", "-p", "target=cluster-z", "-p", "regoin=us", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, `Warning: parameter "regoin" is neither declared nor used by any workflow of plan web-failover; it has no effect (a typo?)`)
	assert.NotContains(t, errOut, `"target"`, "a parameter the workflow declares is not warned about")
	assert.Contains(t, out, "# dry run of plan "+ns+"/web-failover: 2 actions in the order they can run, nothing is changed")
	assert.Contains(t, out, "url: https://hooks.example.com/switch/cluster-z")
	assert.Contains(t, out, "#     url: https://hooks.example.com/undo/cluster-z")
	assert.Contains(t, out, "# rollback: none: HTTP actions have no automatic rollback")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns)))
	assert.Empty(t, list.Items)
	wf := &v1alpha1.DRWorkflow{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, wf))
	assert.Empty(t, wf.Status.Phase, "not even a workflow's status is written")

	code, _, errOut = drctl(t, "", "execute", "web-failover", "--dry-run", "--progress", "json", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, 2, code, "a dry run prints YAML, which is not the JSON stream asked for")
	assert.Contains(t, errOut, "--progress json does not apply")
}

func findLine(lines []string, substr string) string {
	for _, l := range lines {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}

func TestVerboseJSONLogsGoToStderrWithSecretsRedacted(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	create(t, c, ns, strings.Replace(planYAMLs(srv.URL), `method: POST}`, `method: POST, headers: {Authorization: "Bearer hunter2", X-Session-Token: abc}}`, 1))
	code, out, errOut := drctl(t, "", "execute", "web-failover", "-v", "--log-format", "json", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, out, `"level"`, "logs never mix into stdout")
	var sawTransition, sawRequest bool
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), l)
		switch rec["msg"] {
		case "transition":
			sawTransition = true
		case "http request":
			sawRequest = true
		}
	}
	assert.True(t, sawTransition, "info: transitions")
	assert.True(t, sawRequest, "debug: rendered requests")
	assert.NotContains(t, errOut, "hunter2")
	assert.NotContains(t, errOut, `"abc"`)

	code, _, errOut = drctl(t, "", "execute", "web-failover", "--log-format", "xml", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown --log-format "xml"`)

	// --log-file takes the logs off the terminal (where they would draw over the live view).
	logFile := filepath.Join(t.TempDir(), "drctl.log")
	code, _, errOut = drctl(t, "", "execute", "web-failover", "-v", "--log-file", logFile, "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, errOut, "http request")
	logged, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Contains(t, string(logged), `msg="http request"`)
	assert.NotContains(t, string(logged), "hunter2")
}

// A plan that chooses its actions by mode: --dry-run shows each condition's answer for the
// mode, and an execute without --mode is refused (exit 2) before anything is created.
func TestExecuteModeDecidesConditions(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	create(t, c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
  - {name: install, type: HTTP, http: {url: "https://hooks.example.com/install"}, when: 'mode == "install"'}
  - {name: upgrade, type: HTTP, http: {url: "https://hooks.example.com/upgrade"}, when: 'mode == "upgrade"'}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: app}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: app}}]}]
`)
	code, out, errOut := drctl(t, "", "execute", "app", "--dry-run", "--mode", "upgrade", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "---\n# stage s starts with the run\n# 1. stage s, workflow app, action install\n# skipped: when \"mode == \\\"install\\\"\" is false\n")
	assert.Contains(t, out, "# 2. stage s, workflow app, action upgrade\n# runs: when \"mode == \\\"upgrade\\\"\" is true\n")

	code, _, errOut = drctl(t, "", "execute", "app", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "chooses by mode, and the execution has none: set its mode (drctl execute --mode Install|Upgrade|Delete|Rollback, or spec.mode)")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns)))
	assert.Empty(t, list.Items)
}

// jsonLines parses --progress json output: every line of it must be one record of the schema.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var records []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &r), "a line that is not JSON: %q", l)
		require.Equal(t, float64(progress.SchemaVersion), r["version"], l)
		require.NotEmpty(t, r["type"], l)
		records = append(records, r)
	}
	require.NotEmpty(t, records)
	return records
}
