package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
)

// TestKubectlPlugin installs drctl as kubectl-dr (a symlink, as `make plugin` does) with its
// completion helper, and drives it through a real kubectl.
func TestKubectlPlugin(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	assets, err := testenv.AssetsDir()
	require.NoError(t, err)
	kubectl := filepath.Join(assets, "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		if testenv.InCI() {
			t.Fatalf("bin/kubectl is required under CI=true (make test-tools builds it): %v", err)
		}
		t.Skip("bin/kubectl not built; run `make test-tools`")
	}
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	plugins := t.TempDir()
	require.NoError(t, os.Symlink(drctlBinary(t), filepath.Join(plugins, "kubectl-dr")))
	helper, err := os.ReadFile(filepath.Join(root, "completions", "kubectl_complete-dr"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(plugins, "kubectl_complete-dr"), helper, 0o755))
	create(t, c, ns, planYAMLs("http://127.0.0.1:1"))

	run := func(args ...string) (string, error) {
		cmd := exec.Command(kubectl, args...)
		cmd.Env = append(os.Environ(), "PATH="+plugins+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG="+kubeconfig)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("dr", "get", "plans", "-n", ns)
	require.NoError(t, err, out)
	assert.Regexp(t, `NAME\s+PHASE\s+LAST-EXECUTION\s+AGE\nweb-failover\s+`, out)

	out, err = run("dr", "execute", "--help")
	require.NoError(t, err, out)
	assert.Contains(t, out, "kubectl dr execute PLAN [flags]")

	out, err = run("__complete", "dr", "ex")
	require.NoError(t, err, out)
	assert.Contains(t, out, "execute", "kubectl dr <TAB> completes through kubectl_complete-dr")

	out, err = run("__complete", "dr", "status", "-n", ns, "")
	require.NoError(t, err, out)
	assert.True(t, strings.Contains(out, "web-failover"), "plan names complete from the cluster: %s", out)
}
