package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestWatchFollowsARunElsewhereAndEndsWithItsExitCode(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(700 * time.Millisecond)
		if strings.Contains(r.URL.Path, "/switch/broken") {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns}

	// Another terminal runs the plan.
	runDone := make(chan int)
	go func() {
		code, _, _ := drctl(t, "", append([]string{"execute", "web-failover", "--name", "run-w"}, k...)...)
		runDone <- code
	}()
	require.Eventually(t, func() bool {
		return c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "run-w"}, &v1alpha1.DRPlanExecution{}) == nil
	}, 10*time.Second, 20*time.Millisecond)

	code, out, errOut := drctl(t, "", append([]string{"watch", "run-w", "--progress", "plain"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	assert.Equal(t, 0, <-runDone)
	assert.Contains(t, out, "watching execution "+ns+"/run-w (plan web-failover, Execute)")
	assert.Regexp(t, `Succeeded action web/web/wait`, out)
	assert.Regexp(t, `Succeeded execution run-w`, out)
	assert.Regexp(t, `execution run-w Succeeded in \S+: 2 succeeded, 0 failed, 0 skipped`, out)

	// A finished execution: its final frame at once, and its exit code.
	code, _, _ = drctl(t, "", append([]string{"execute", "web-failover", "--name", "run-f", "-p", "target=broken"}, k...)...)
	require.Equal(t, 1, code)
	code, out, _ = drctl(t, "", append([]string{"watch", "run-f"}, k...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "✗ switch")
	assert.Contains(t, out, "execution run-f Failed")

	// In JSON, only JSON: the run as it stands (a snapshot of every node), then its end.
	code, out, _ = drctl(t, "", append([]string{"watch", "run-f", "--progress", "json"}, k...)...)
	assert.Equal(t, 1, code)
	records := jsonLines(t, out)
	assert.Equal(t, "Started", records[0]["type"])
	assert.Equal(t, "Finished", records[len(records)-1]["type"])
	var switchState map[string]any
	for _, r := range records {
		if r["action"] == "switch" {
			switchState = r
		}
	}
	require.NotNil(t, switchState, out)
	assert.Equal(t, true, switchState["snapshot"])
	assert.Equal(t, "Failed", switchState["phase"])
}
