package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	// Hermetic: no developer's ~/.config/drctl/config.yaml leaks into the tests.
	os.Setenv("DRCTL_CONFIG", filepath.Join(os.TempDir(), "drctl-tests-have-no-config.yaml"))
	code := testenv.Main(m, &env, testenv.Options{SkipDrctlCRDs: true})
	if builtBin != "" {
		_ = os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func crdExists(t *testing.T, name string) bool {
	t.Helper()
	c, err := apiextensionsclient.NewForConfig(env.Config)
	require.NoError(t, err)
	_, err = c.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false
	}
	require.NoError(t, err)
	return true
}

func TestInstallAndUninstallCommands(t *testing.T) {
	kubeconfig := testenv.Require(t, env).Kubeconfig(t)
	const plans = "drplans.dr.bkbcs.tencent.com"
	// Other tests of this package install the CRDs; start from none.
	code, _, errOut := drctl(t, "", "uninstall", "--kubeconfig", kubeconfig, "--yes")
	require.Equal(t, 0, code, errOut)

	code, out, errOut := drctl(t, "", "install", "--kubeconfig", kubeconfig, "--dry-run=server")
	_ = code
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "customresourcedefinition.apiextensions.k8s.io/drplans.dr.bkbcs.tencent.com applied (server dry run)")
	assert.False(t, crdExists(t, plans), "a server dry run creates nothing")

	code, _, errOut = drctl(t, "", "install", "--kubeconfig", kubeconfig, "--dry-run=client")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--dry-run=client is not supported")

	code, out, errOut = drctl(t, "", "install", "--kubeconfig", kubeconfig)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "drplanexecutions.dr.bkbcs.tencent.com established")
	assert.True(t, crdExists(t, plans))

	// Without a terminal and without --yes, uninstall refuses and deletes nothing.
	code, _, errOut = drctl(t, "", "uninstall", "--kubeconfig", kubeconfig)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "pass --yes")
	assert.True(t, crdExists(t, plans))

	// On a terminal, anything but yes aborts.
	streams, in, _, errBuf := iostreams.Test()
	streams.StdinTTY = true
	in.WriteString("no\n")
	code = run(context.Background(), streams, []string{"uninstall", "--kubeconfig", kubeconfig})
	assert.Equal(t, 4, code, errBuf.String())
	assert.Contains(t, errBuf.String(), "Continue? [y/N]")
	assert.True(t, crdExists(t, plans))

	code, out, errOut = drctl(t, "", "uninstall", "--kubeconfig", kubeconfig, "--yes")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "drplans.dr.bkbcs.tencent.com deleted")
}

func TestInstallWithoutClusterFails(t *testing.T) {
	code, _, errOut := drctl(t, "", "install", "--server", "https://127.0.0.1:1", "--timeout", "2s")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "apply CRD")
}
