package crd_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apiextensionsclientv1 "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/typed/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	// drctl's CRDs are left out so the tests see what `drctl install` does.
	os.Exit(testenv.Main(m, &env, testenv.Options{SkipDrctlCRDs: true}))
}

func crdClient(t *testing.T) *apiextensionsclient.Clientset {
	t.Helper()
	c, err := apiextensionsclient.NewForConfig(testenv.Require(t, env).Config)
	require.NoError(t, err)
	return c
}

func TestInstallOverUpstreamThenUninstall(t *testing.T) {
	ctx := context.Background()
	client := crdClient(t).ApiextensionsV1()
	cfg := env.Config
	names := []string{"drplanexecutions.dr.bkbcs.tencent.com", "drplans.dr.bkbcs.tencent.com", "drworkflows.dr.bkbcs.tencent.com"}

	// A server dry run validates and changes nothing.
	var out bytes.Buffer
	require.NoError(t, crd.Install(ctx, cfg, crd.InstallOptions{DryRun: true, Progress: &out}))
	require.Contains(t, out.String(), "drworkflows.dr.bkbcs.tencent.com applied (server dry run)")
	for _, n := range names {
		_, err := client.CustomResourceDefinitions().Get(ctx, n, metav1.GetOptions{})
		require.True(t, apierrors.IsNotFound(err), "dry run created %s", n)
	}

	// The upstream controller's CRDs are installed first, by another field manager.
	if dir := sharedUpstreamCRDs(t); dir != "" {
		for _, f := range yamlFiles(t, dir) {
			upstream := readCRDFile(t, f)
			_, err := client.CustomResourceDefinitions().Create(ctx, upstream, metav1.CreateOptions{FieldManager: "kubectl-create"})
			require.NoError(t, err)
		}
	}

	out.Reset()
	require.NoError(t, crd.Install(ctx, cfg, crd.InstallOptions{Timeout: 30 * time.Second, Progress: &out}))
	require.NoError(t, crd.Install(ctx, cfg, crd.InstallOptions{Timeout: 30 * time.Second}), "install is idempotent")
	for _, n := range names {
		require.Contains(t, out.String(), n+" established")
		got, err := client.CustomResourceDefinitions().Get(ctx, n, metav1.GetOptions{})
		require.NoError(t, err)
		require.True(t, established(got), n)
		require.Equal(t, []string{"dr"}, got.Spec.Names.Categories, "drctl's CRD replaced upstream's: %s", n)
	}

	out.Reset()
	require.NoError(t, crd.Uninstall(ctx, cfg, crd.UninstallOptions{Progress: &out}))
	require.Contains(t, out.String(), "drplans.dr.bkbcs.tencent.com deleted")
	require.True(t, allGone(t, client, names), "uninstall returns once the CRDs are gone:\n%s", describeCRDs(t, client, names))
	out.Reset()
	require.NoError(t, crd.Uninstall(ctx, cfg, crd.UninstallOptions{Progress: &out}))
	require.Contains(t, out.String(), "drplans.dr.bkbcs.tencent.com already absent")
}

// TestUpstreamObjectsAccepted: every sample and example object written for the upstream controller,
// and every drctl example, is accepted by drctl's CRDs on a real API server, with strict field
// validation (a field drctl's schema lacks would be an error, not silently pruned).
func TestUpstreamObjectsAccepted(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, crd.Install(ctx, testenv.Require(t, env).Config, crd.InstallOptions{Timeout: 30 * time.Second}))
	dyn, err := dynamic.NewForConfig(env.Config)
	require.NoError(t, err)
	var files []string
	for _, dir := range []string{"samples", "example-install"} {
		files = append(files, yamlFiles(t, testenv.SharedDir(t, "upstream", dir))...)
	}
	// drctl's own examples too: what `drctl validate` passes, the API server must accept.
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	for _, dir := range []string{"quickstart", "ecommerce", "ecommerce/workflows"} {
		files = append(files, yamlFiles(t, filepath.Join(root, "examples", dir))...)
	}
	count := 0
	for _, f := range files {
		for _, obj := range decodeDocuments(t, f) {
			count++
			name := filepath.Base(f) + "/" + obj.GetKind() + "/" + obj.GetName()
			t.Run(name, func(t *testing.T) {
				gvr := schema.GroupVersionResource{Group: "dr.bkbcs.tencent.com", Version: "v1alpha1", Resource: strings.ToLower(obj.GetKind()) + "s"}
				ensureNamespace(t, obj.GetNamespace())
				_, err := dyn.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{
					DryRun:          []string{metav1.DryRunAll},
					FieldValidation: "Strict",
				})
				require.NoError(t, err)
			})
		}
	}
	require.GreaterOrEqual(t, count, 9+13)
}

func sharedUpstreamCRDs(t *testing.T) string {
	return testenv.SharedDir(t, "upstream", "crds")
}

func established(c *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == apiextensionsv1.Established {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

func decodeDocuments(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			require.ErrorContains(t, err, "EOF")
			break
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	require.NoError(t, err)
	_, err = cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
}

func describeCRDs(t *testing.T, client apiextensionsclientv1.CustomResourceDefinitionsGetter, names []string) string {
	var b strings.Builder
	for _, n := range names {
		c, err := client.CustomResourceDefinitions().Get(context.Background(), n, metav1.GetOptions{})
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s finalizers=%v conditions=%+v\n", n, c.Finalizers, c.Status.Conditions)
	}
	return b.String()
}

func allGone(t *testing.T, client apiextensionsclientv1.CustomResourceDefinitionsGetter, names []string) bool {
	for _, n := range names {
		if _, err := client.CustomResourceDefinitions().Get(context.Background(), n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return false
		}
	}
	return true
}
