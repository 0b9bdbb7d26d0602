package actions

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func resourceAction(op v1alpha1.ResourceOperation, manifest string) *v1alpha1.Action {
	return &v1alpha1.Action{Name: "r", Type: v1alpha1.ActionKubernetesResource, Resource: &v1alpha1.KubernetesResourceAction{Operation: op, Manifest: manifest}}
}

const cmManifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  primary: cluster-b\n"

func TestResourceOperations(t *testing.T) {
	e, ns := testEnv(t)
	ctx := context.Background()
	r := &Resource{}
	labels := map[string]string{"dr.bkbcs.tencent.com/execution": "x1", "dr.bkbcs.tencent.com/action": "w.r"}

	res, err := r.Execute(ctx, e, Request{Action: resourceAction("", cmManifest), Namespace: ns, Labels: labels})
	require.NoError(t, err)
	assert.Equal(t, ns, res.Outputs.ResourceRef.Namespace, "a namespaced kind defaults to the plan's namespace")
	assert.NotEmpty(t, res.Outputs.ResourceRef.UID)
	assert.False(t, *res.Outputs.ResourceExisted)
	cm := &corev1.ConfigMap{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm))
	assert.Equal(t, "w.r", cm.Labels["dr.bkbcs.tencent.com/action"])

	_, err = r.Execute(ctx, e, Request{Action: resourceAction("Create", cmManifest), Namespace: ns, Labels: map[string]string{"dr.bkbcs.tencent.com/execution": "other"}})
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "already exists and was not created by this execution")

	res, err = r.Execute(ctx, e, Request{Action: resourceAction("Patch", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {primary: cluster-c}\n"), Namespace: ns})
	require.NoError(t, err)
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm))
	assert.Equal(t, "cluster-c", cm.Data["primary"])

	// Server-side apply by another manager, then drctl's apply of the same field conflicts unless forced.
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owned", Namespace: ns}, Data: map[string]string{"k": "theirs"}}
	require.NoError(t, e.Client.Create(ctx, other, client.FieldOwner("someone-else")))
	applyOwned := resourceAction("Apply", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned}\ndata: {k: ours}\n")
	_, err = r.Execute(ctx, e, Request{Action: applyOwned, Namespace: ns})
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "set force: true")
	applyOwned.Resource.Force = true
	res, err = r.Execute(ctx, e, Request{Action: applyOwned, Namespace: ns})
	require.NoError(t, err)
	assert.True(t, *res.Outputs.ResourceExisted)
	_, reason := r.AutoRollback(applyOwned, res.Outputs)
	assert.Equal(t, "applied to an existing object; define a rollback", reason)

	res, err = r.Execute(ctx, e, Request{Action: resourceAction("Delete", cmManifest), Namespace: ns})
	require.NoError(t, err)
	assert.Equal(t, "deleted configmap "+ns+"/settings", res.Message)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)))
	res, err = r.Execute(ctx, e, Request{Action: resourceAction("Delete", cmManifest), Namespace: ns})
	require.NoError(t, err)
	assert.Equal(t, "configmap "+ns+"/settings already absent", res.Message)

	_, err = r.Execute(ctx, e, Request{Action: resourceAction("Create", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"), Namespace: ns})
	require.Error(t, err)
	assert.True(t, IsPermanent(err))
	assert.Contains(t, err.Error(), "the cluster does not serve example.com/v1, Kind=Widget")
}

func TestResourceWorksOnAnyCRD(t *testing.T) {
	e, ns := testEnv(t)
	ctx := context.Background()
	r := &Resource{}
	manifest := "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: made-by-an-action}\nspec:\n  actions: [{name: a, type: HTTP, http: {url: 'https://x.example.com'}}]\n"
	res, err := r.Execute(ctx, e, Request{Action: resourceAction("Create", manifest), Namespace: ns})
	require.NoError(t, err)
	rb, _ := r.AutoRollback(resourceAction("Create", manifest), res.Outputs)
	_, err = r.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	wf := &v1alpha1.DRWorkflow{}
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "made-by-an-action"}, wf)))
}
