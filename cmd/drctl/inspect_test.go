package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestInspectionCommands(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns}
	for _, name := range []string{"run-a", "run-b"} {
		code, out, errOut := drctl(t, "", append([]string{"execute", "web-failover", "--name", name}, k...)...)
		require.Equal(t, 0, code, out+errOut)
	}

	code, out, _ := drctl(t, "", append([]string{"get", "plans"}, k...)...)
	require.Equal(t, 0, code)
	assert.Regexp(t, `^NAME\s+PHASE\s+LAST-EXECUTION\s+AGE\nweb-failover\s+Executed\s+run-b\s+\S+\n$`, out)

	code, out, _ = drctl(t, "", append([]string{"get", "drw", "-o", "wide"}, k...)...)
	require.Equal(t, 0, code)
	assert.Regexp(t, `NAME\s+ACTIONS\s+PHASE\s+AGE\s+TYPES\s+PARAMETERS\nweb\s+2\s+Ready\s+\S+\s+HTTP\s+target\n`, out)

	code, out, _ = drctl(t, "", "get", "executions", "-A", "--kubeconfig", kubeconfig)
	require.Equal(t, 0, code)
	assert.Regexp(t, `NAMESPACE\s+NAME\s+PLAN\s+OPERATION\s+PHASE\s+PROGRESS\s+AGE`, out)
	assert.Regexp(t, ns+`\s+run-a\s+web-failover\s+Execute\s+Succeeded\s+2/2`, out)

	code, out, _ = drctl(t, "", append([]string{"get", "execution", "run-a", "-o", "json"}, k...)...)
	require.Equal(t, 0, code)
	var list v1alpha1.DRPlanExecutionList
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list.Items, 1)
	assert.Equal(t, v1alpha1.PhaseSucceeded, list.Items[0].Status.Phase)

	code, out, _ = drctl(t, "", append([]string{"get", "plans", "-o", "yaml"}, k...)...)
	require.Equal(t, 0, code)
	var generic map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(out), &generic))
	assert.Equal(t, "DRPlanList", generic["kind"])
	assert.Equal(t, "dr.bkbcs.tencent.com/v1alpha1", generic["apiVersion"])

	code, out, _ = drctl(t, "", append([]string{"get", "executions", "-l", "drplan=web-failover", "-o", "name"}, k...)...)
	require.Equal(t, 0, code)
	assert.Equal(t, "drplanexecution.dr.bkbcs.tencent.com/run-a\ndrplanexecution.dr.bkbcs.tencent.com/run-b\n", out)

	code, _, errOut := drctl(t, "", append([]string{"get", "plan", "nope"}, k...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `DRPlan "nope" not found`)
	code, _, errOut = drctl(t, "", append([]string{"get", "pods"}, k...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown resource "pods"`)

	code, out, _ = drctl(t, "", append([]string{"history", "web-failover"}, k...)...)
	require.Equal(t, 0, code)
	assert.Less(t, strings.Index(out, "run-b"), strings.Index(out, "run-a"), "newest first")
	// -l narrows the plan's executions; -A finds them in every namespace (and says where).
	code, out, _ = drctl(t, "", append([]string{"history", "web-failover", "-l", "dr.bkbcs.tencent.com/operation=revert", "-o", "name"}, k...)...)
	require.Equal(t, 0, code)
	assert.Empty(t, out, "no revert of web-failover ran")
	code, out, _ = drctl(t, "", "history", "web-failover", "-A", "--kubeconfig", kubeconfig)
	require.Equal(t, 0, code)
	assert.Regexp(t, `NAMESPACE\s+NAME\s+PLAN\s+OPERATION`, out)
	assert.Regexp(t, ns+`\s+run-b\s+web-failover\s+Execute\s+Succeeded`, out)

	code, out, _ = drctl(t, "", append([]string{"status", "web-failover"}, k...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "Phase:           Executed")
	assert.Contains(t, out, "Running:         <none>")
	assert.Contains(t, out, "Lock:            free")
	assert.Contains(t, out, "Last succeeded:  run-b at ")

	code, out, _ = drctl(t, "", append([]string{"describe", "execution", "run-a"}, k...)...)
	require.Equal(t, 0, code)
	for _, want := range []string{"Name:       run-a", "Phase:      Succeeded", "Progress:   2/2", "target:  cluster-b"} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, `\n\s+switch\s+Succeeded\s+1\s+\d+ms\s+HTTP 200 in \S+`, out, "a success the outputs tell is shown from them")
	assert.Contains(t, out, "Outputs:")
	assert.Regexp(t, `Owner:\s+epoch \d+, execution run-a by \S+@\S+ pid \d+`, out, "the record's owner (its fence)")
	assert.Regexp(t, `Events:\n\s+TYPE\s+REASON\s+AGE\s+MESSAGE\n(.*\n)*\s+Normal\s+ExecutionStarted\s+`, out)

	code, out, _ = drctl(t, "", append([]string{"describe", "plan", "web-failover"}, k...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "web (sequential)")
	assert.Contains(t, out, `target:  "cluster-b"`)
	assert.Regexp(t, `run-b\s+Execute\s+Succeeded`, out)

	code, out, _ = drctl(t, "", append([]string{"describe", "workflow", "web"}, k...)...)
	require.Equal(t, 0, code)
	assert.Regexp(t, `1\. switch\s+HTTP\s+POST .*/switch/\$\(params.target\)`, out)
	assert.Contains(t, out, "rollback:")
}
