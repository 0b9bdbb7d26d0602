package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFileAndEnvironmentSetDefaultsFlagsWin(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	create(t, c, ns, planYAMLs("http://127.0.0.1:1"))
	file := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(file, []byte("namespace: "+ns+"\nprogress: plain\n"), 0o600))
	t.Setenv("DRCTL_CONFIG", file)

	code, out, errOut := drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "web-failover", "the namespace comes from the config file")

	code, _, errOut = drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig, "-n", "default")
	require.Equal(t, 0, code)
	assert.Contains(t, errOut, "No resources found in default namespace.", "a flag wins over the file")

	t.Setenv("DRCTL_PROGRESS", "json")
	code, out, _ = drctl(t, "", "config", "view")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "progress:\n  source: environment\n  value: json")
	assert.Contains(t, out, "namespace:\n  source: file\n  value: "+ns)

	t.Setenv("DRCTL_LOCK_TIMEOUT", "soon")
	code, _, errOut = drctl(t, "", "execute", "web-failover", "--kubeconfig", kubeconfig)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "lock-timeout from the config or environment")

	require.NoError(t, os.WriteFile(file, []byte("namespce: x\n"), 0o600))
	code, _, errOut = drctl(t, "", "config", "view")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown key "namespce"`)
}

// The client-side rate limit is a flag and a config key; a zero rate (which client-go would
// silently turn into its default of 5 per second) is refused, a negative one turns it off.
func TestClientRateLimitFlagsAndConfig(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	create(t, c, ns, planYAMLs("http://127.0.0.1:1"))
	t.Setenv("DRCTL_CONFIG", filepath.Join(t.TempDir(), "none.yaml"))

	code, out, _ := drctl(t, "", "config", "view")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "kube-api-qps:\n  source: default\n  value: \"500\"")
	assert.Contains(t, out, "kube-api-burst:\n  source: default\n  value: \"1000\"")

	code, _, errOut := drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig, "-n", ns, "--kube-api-qps", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "want a positive rate with a burst of at least 1, or a negative rate")

	code, out, errOut = drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig, "-n", ns, "--kube-api-qps", "-1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "web-failover", "no client-side limit")

	t.Setenv("DRCTL_KUBE_API_BURST", "0")
	code, _, errOut = drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig, "-n", ns)
	assert.Equal(t, 2, code, "a burst of 0 from the environment is refused")
	assert.Contains(t, errOut, "kube-api-burst 0 (from the flags, the config file or DRCTL_KUBE_API_*)")

	code, _, errOut = drctl(t, "", "get", "plans", "--kubeconfig", kubeconfig, "-n", ns, "--kube-api-qps", "NaN")
	assert.Equal(t, 2, code, "NaN is no rate: %s", errOut)
	code, out, _ = drctl(t, "", "config", "view")
	assert.Equal(t, 0, code, "config view shows a bad setting rather than failing on it")
	assert.Contains(t, out, "kube-api-burst:\n  source: environment\n  value: \"0\"")
	code, _, errOut = drctl(t, "", "validate", "-f", "../../examples/quickstart")
	assert.Equal(t, 0, code, "validate talks to no cluster, whatever the client limits: %s", errOut)
}
