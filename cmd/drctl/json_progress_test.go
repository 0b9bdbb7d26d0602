package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The JSON progress stream as a pipeline reads it: the built binary piped into jq, which reads
// every line as one object (and fails on anything else), then the README's own filter.
func TestJSONProgressThroughJq(t *testing.T) {
	jq, err := exec.LookPath("jq")
	require.NoError(t, err, "jq is a Debian package; .ci/run installs it")
	kubeconfig, ns, c := cluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/switch/broken" {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	bin := drctlBinary(t)
	pipeline := func(t *testing.T, drctlArgs, filter string) (string, error) {
		script := `set -o pipefail; "$DRCTL" ` + drctlArgs + ` --kubeconfig "$KUBECONFIG_FILE" -n "$NS" --progress json | "$JQ" ` + filter
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "DRCTL="+bin, "JQ="+jq, "KUBECONFIG_FILE="+kubeconfig, "NS="+ns, "CI=true")
		cmd.Dir = filepath.Dir(bin)
		out, err := cmd.Output()
		return string(out), err
	}

	// -R: each line a string of its own; fromjson fails on a line that is not JSON, the test on
	// one that is not an object.
	perLine := `-R -c 'fromjson | if type == "object" then [.version, .type] else error("not an object: \(.)") end'`
	out, err := pipeline(t, "execute web-failover --name run-jq", perLine)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, `[1,"Started"]`, lines[0])
	assert.Equal(t, `[1,"Finished"]`, lines[len(lines)-1])
	assert.GreaterOrEqual(t, len(lines), 6, out)

	out, err = pipeline(t, "watch run-jq", perLine)
	require.NoError(t, err, out)
	assert.Contains(t, out, `[1,"Started"]`)

	// The README's filter, word for word: the failed action of a failed run (drctl exits 1, so
	// pipefail fails the pipeline).
	out, err = pipeline(t, "execute web-failover -p target=broken", `-c 'select(.type=="Action" and .phase=="Failed")'`)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	require.Equal(t, 1, strings.Count(out, "\n"), out)
	var failed map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &failed))
	assert.Equal(t, []any{"web", "web", "switch", float64(1)}, []any{failed["stage"], failed["workflow"], failed["action"], failed["attempt"]})
	assert.Contains(t, failed["message"], "unexpected status 403")
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), `| jq -c 'select(.type=="Action" and .phase=="Failed")'`, "the filter tested is the README's")
}
