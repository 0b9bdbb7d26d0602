package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	// Hermetic: no developer's ~/.config/drctl/config.yaml leaks into the tests.
	os.Setenv("DRCTL_CONFIG", filepath.Join(os.TempDir(), "drctl-tests-have-no-config.yaml"))
	code := testenv.Main(m, &env, testenv.Options{SkipDrctlCRDs: true, AuditServiceAccounts: true})
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

	// A client dry run prints what would be applied, for GitOps, and touches nothing.
	code, out, errOut = drctl(t, "", "install", "--kubeconfig", kubeconfig, "--dry-run=client")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 3, strings.Count(out, "kind: CustomResourceDefinition"), out)
	assert.False(t, crdExists(t, plans))
	code, _, errOut = drctl(t, "", "install", "--kubeconfig", kubeconfig, "-o", "json")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "needs --dry-run=client")

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
	streams.StdinTTY, streams.StderrTTY = true, true
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

// `drctl install --serve --dry-run=client -o yaml` prints, for GitOps, the CRDs and everything
// that runs drctl serve, in the namespace asked for, hardened.
func TestInstallServeManifests(t *testing.T) {
	code, out, errOut := drctl(t, "", "install", "--serve", "--dry-run=client", "-o", "yaml", "-n", "dr-ops", "--image", "registry.example.com/drctl:v9")
	require.Equal(t, 0, code, errOut)
	var kinds []string
	var deployment appsv1.Deployment
	docs := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		b, err := docs.Read()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		doc := string(b)
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta struct {
			Kind     string
			Metadata map[string]any
			Status   any
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		kinds = append(kinds, meta.Kind)
		assert.Nil(t, meta.Status, "%s: no status to apply", meta.Kind)
		assert.NotContains(t, meta.Metadata, "creationTimestamp", meta.Kind)
		if meta.Kind == "Deployment" {
			require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &deployment))
		}
		if meta.Kind == "ServiceAccount" || meta.Kind == "Role" || meta.Kind == "Service" {
			assert.Equal(t, "dr-ops", meta.Metadata["namespace"], meta.Kind)
		}
	}
	assert.Equal(t, []string{"CustomResourceDefinition", "CustomResourceDefinition", "CustomResourceDefinition", "Namespace", "ServiceAccount",
		"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment", "PodDisruptionBudget", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}, kinds)
	pod := deployment.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	assert.Equal(t, "registry.example.com/drctl:v9", c.Image)
	assert.Contains(t, c.Args, "--leader-elect")
	assert.True(t, *pod.SecurityContext.RunAsNonRoot)
	assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	assert.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
	assert.NotEmpty(t, c.Resources.Limits.Memory().String())
	assert.NotNil(t, c.ReadinessProbe)

	// A server dry run on a cluster without the namespace checks what it can and says what it cannot.
	kubeconfig := testenv.Require(t, env).Kubeconfig(t)
	code, out, errOut = drctl(t, "", "install", "--serve", "--dry-run=server", "-n", "not-there-yet", "--kubeconfig", kubeconfig)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "namespace/not-there-yet applied (server dry run)")
	assert.Contains(t, out, "deployment.apps/drctl-serve skipped (server dry run: namespace not-there-yet does not exist yet)")
	assert.Contains(t, out, "clusterrole.rbac.authorization.k8s.io/drctl-serve applied (server dry run)")

	code, _, errOut = drctl(t, "", "install", "--serve", "--dry-run=client", "-o", "table")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown -o "table"`)
}
