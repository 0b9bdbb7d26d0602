package crd_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// On a cluster whose CRDs are the upstream controller's (older than drctl's), a run that needs
// what they lack — here --on-failure ask — is refused before anything runs, rather than run
// without asking, and leaves no execution behind.
func TestARunRefusesCRDsThatWouldDropItsControls(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Require(t, env).Config
	api := crdClient(t).ApiextensionsV1()
	require.NoError(t, crd.Uninstall(ctx, cfg, crd.UninstallOptions{}))
	t.Cleanup(func() { _ = crd.Uninstall(ctx, cfg, crd.UninstallOptions{}) })
	for _, f := range yamlFiles(t, sharedUpstreamCRDs(t)) {
		_, err := api.CustomResourceDefinitions().Create(ctx, readCRDFile(t, f), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		list, err := api.CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		n := 0
		for i := range list.Items {
			if list.Items[i].Spec.Group == v1alpha1.GroupVersion.Group && established(&list.Items[i]) {
				n++
			}
		}
		return n == 3
	}, 30*time.Second, 100*time.Millisecond)

	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	clock := lease.NewServerClock()
	rc := *cfg
	rc.Wrap(clock.Wrap)
	c, err := client.NewWithWatch(&rc, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	ns := "outdated-crds"
	ensureNamespace(t, ns)
	require.Eventually(t, func() bool {
		return c.Create(ctx, &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "w"},
			Spec: v1alpha1.DRWorkflowSpec{Actions: []v1alpha1.Action{{Name: "a", Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{URL: srv.URL, Method: "POST"}}}}}) == nil
	}, 10*time.Second, 100*time.Millisecond, "the upstream CRDs serve")
	require.NoError(t, c.Create(ctx, &v1alpha1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"},
		Spec: v1alpha1.DRPlanSpec{Stages: []v1alpha1.Stage{{Name: "s", Workflows: []v1alpha1.WorkflowReference{{WorkflowRef: v1alpha1.ObjectReference{Name: "w"}}}}}}}))

	eng := engine.New(engine.Config{Client: c, Clock: clock})
	_, err = eng.Execute(ctx, engine.ExecuteOptions{Namespace: ns, Plan: "p", OnFailure: v1alpha1.OnFailureAsk})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the API server dropped spec.onFailure: the DRPlanExecution CRD is older than this drctl; run `drctl install` first")
	assert.Equal(t, 0, hits, "nothing ran")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, c.List(ctx, list, client.InNamespace(ns)))
	assert.Empty(t, list.Items, "the execution was deleted")
}
