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

// The read-only commands against a real API server, after two runs of one plan: each subtest is
// one command line, its exit code and what its output must show. (Their exact layout is in the
// golden files of pkg/cmd/get, pkg/cmd/status and pkg/tui.)
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

	for _, tc := range []struct {
		name string
		args []string // -n and --kubeconfig follow, unless allNamespaces
		code int
		// allNamespaces leaves -n out.
		allNamespaces bool
		check         func(t *testing.T, out, errOut string)
	}{
		{"get plans", []string{"get", "plans"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Regexp(t, `^NAME\s+PHASE\s+LAST-EXECUTION\s+AGE\nweb-failover\s+Executed\s+run-b\s+\S+\n$`, out)
		}},
		{"get workflows wide", []string{"get", "drw", "-o", "wide"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Regexp(t, `NAME\s+ACTIONS\s+PHASE\s+AGE\s+TYPES\s+PARAMETERS\nweb\s+2\s+Ready\s+\S+\s+HTTP\s+target\n`, out)
		}},
		{"get executions everywhere", []string{"get", "executions", "-A"}, 0, true, func(t *testing.T, out, _ string) {
			assert.Regexp(t, `NAMESPACE\s+NAME\s+PLAN\s+OPERATION\s+PHASE\s+PROGRESS\s+AGE`, out)
			assert.Regexp(t, ns+`\s+run-a\s+web-failover\s+Execute\s+Succeeded\s+2/2`, out)
		}},
		{"get one execution as json", []string{"get", "execution", "run-a", "-o", "json"}, 0, false, func(t *testing.T, out, _ string) {
			var list v1alpha1.DRPlanExecutionList
			require.NoError(t, json.Unmarshal([]byte(out), &list), out)
			require.Len(t, list.Items, 1)
			assert.Equal(t, v1alpha1.PhaseSucceeded, list.Items[0].Status.Phase)
		}},
		{"get plans as yaml", []string{"get", "plans", "-o", "yaml"}, 0, false, func(t *testing.T, out, _ string) {
			var generic map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(out), &generic))
			assert.Equal(t, "DRPlanList", generic["kind"])
			assert.Equal(t, "dr.bkbcs.tencent.com/v1alpha1", generic["apiVersion"])
		}},
		{"get by label, names", []string{"get", "executions", "-l", "drplan=web-failover", "-o", "name"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Equal(t, "drplanexecution.dr.bkbcs.tencent.com/run-a\ndrplanexecution.dr.bkbcs.tencent.com/run-b\n", out)
		}},
		{"get a missing plan", []string{"get", "plan", "nope"}, 1, false, func(t *testing.T, _, errOut string) {
			assert.Contains(t, errOut, `DRPlan "nope" not found`)
		}},
		{"get an unknown resource", []string{"get", "pods"}, 2, false, func(t *testing.T, _, errOut string) {
			assert.Contains(t, errOut, `unknown resource "pods"`)
		}},
		{"history", []string{"history", "web-failover"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Less(t, strings.Index(out, "run-b"), strings.Index(out, "run-a"), "newest first")
		}},
		{"history narrowed by a label", []string{"history", "web-failover", "-l", "dr.bkbcs.tencent.com/operation=revert", "-o", "name"}, 0, false,
			func(t *testing.T, out, errOut string) {
				assert.Empty(t, out, "no revert of web-failover ran")
				assert.Contains(t, errOut, "No resources found in "+ns+" namespace.")
			}},
		{"history everywhere", []string{"history", "web-failover", "-A"}, 0, true, func(t *testing.T, out, _ string) {
			assert.Regexp(t, `NAMESPACE\s+NAME\s+PLAN\s+OPERATION`, out)
			assert.Regexp(t, ns+`\s+run-b\s+web-failover\s+Execute\s+Succeeded`, out)
		}},
		{"status", []string{"status", "web-failover"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Contains(t, out, "Phase:           Executed")
			assert.Contains(t, out, "Running:         <none>")
			assert.Contains(t, out, "Lock:            free")
			assert.Contains(t, out, "Last succeeded:  run-b at ")
		}},
		{"describe execution", []string{"describe", "execution", "run-a"}, 0, false, func(t *testing.T, out, _ string) {
			for _, want := range []string{"Name:       run-a", "Phase:      Succeeded", "Progress:   2/2", "target:  cluster-b"} {
				assert.Contains(t, out, want)
			}
			assert.Regexp(t, `\n\s+switch\s+Succeeded\s+1\s+\d+ms\s+HTTP 200 in \S+`, out, "a success the outputs tell is shown from them")
			assert.Contains(t, out, "Outputs:")
			assert.Regexp(t, `Owner:\s+epoch \d+, execution run-a by \S+@\S+ pid \d+`, out, "the record's owner (its fence)")
			assert.Regexp(t, `Events:\n\s+TYPE\s+REASON\s+AGE\s+MESSAGE\n(.*\n)*\s+Normal\s+ExecutionStarted\s+`, out)
		}},
		{"describe plan", []string{"describe", "plan", "web-failover"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Contains(t, out, "web (sequential)")
			assert.Contains(t, out, `target:  "cluster-b"`)
			assert.Regexp(t, `run-b\s+Execute\s+Succeeded`, out)
		}},
		{"describe workflow", []string{"describe", "workflow", "web"}, 0, false, func(t *testing.T, out, _ string) {
			assert.Regexp(t, `1\. switch\s+HTTP\s+POST .*/switch/\$\(params.target\)`, out)
			assert.Contains(t, out, "rollback:")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--kubeconfig", kubeconfig)
			if !tc.allNamespaces {
				args = append(args, "-n", ns)
			}
			code, out, errOut := drctl(t, "", args...)
			require.Equal(t, tc.code, code, out+errOut)
			tc.check(t, out, errOut)
		})
	}
}
