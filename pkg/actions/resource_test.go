package actions

import (
	"context"
	"testing"
	"time"

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
	_, reason := autoRollback(applyOwned, res.Outputs)
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
	rb, _ := autoRollback(resourceAction("Create", manifest), res.Outputs)
	_, err = r.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	wf := &v1alpha1.DRWorkflow{}
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "made-by-an-action"}, wf)))
}

// An Apply retried after a crash (the runner died before recording the outputs) finds the object
// its earlier attempt created. The object carries this execution's labels, so it is still ours:
// it did not exist before, and reverting deletes it.
func TestApplyRetriedAfterCrashStillOwnsItsObject(t *testing.T) {
	e, ns := testEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := &Resource{}
	labels := map[string]string{"dr.bkbcs.tencent.com/execution": "x2", "dr.bkbcs.tencent.com/action": "w.apply"}
	apply := resourceAction("Apply", cmManifest)

	res, err := r.Execute(ctx, e, Request{Action: apply, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	assert.False(t, *res.Outputs.ResourceExisted)

	res, err = r.Execute(ctx, e, Request{Action: apply, Namespace: ns, Labels: labels, Recorded: nil})
	require.NoError(t, err)
	assert.False(t, *res.Outputs.ResourceExisted, "the object carries this execution's labels: the earlier attempt created it")
	cm := &corev1.ConfigMap{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm))
	assert.Equal(t, "w.apply", cm.Labels["dr.bkbcs.tencent.com/action"], "the retry keeps the labels on it")

	rb, reason := autoRollback(apply, res.Outputs)
	require.NotNil(t, rb, reason)
	_, err = r.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, cm)), "reverting deletes it")

	// An object someone else made (without the labels) did exist before: reverting leaves it.
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"replicas": "3"}}
	require.NoError(t, e.Client.Create(ctx, theirs))
	res, err = r.Execute(ctx, e, Request{Action: apply, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	assert.True(t, *res.Outputs.ResourceExisted)
	rb, reason = autoRollback(apply, res.Outputs)
	assert.Nil(t, rb)
	assert.Equal(t, "applied to an existing object; define a rollback", reason)
}

// The automatic rollback deletes the object this execution created, never another one made
// under the same name since: that one is left in place and the rollback says why it skipped.
func TestAutoRollbackSparesAnObjectRecreatedUnderTheSameName(t *testing.T) {
	e, ns := testEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := &Resource{}
	labels := map[string]string{"dr.bkbcs.tencent.com/execution": "x3", "dr.bkbcs.tencent.com/action": "w.create"}
	create := resourceAction("Create", cmManifest)
	res, err := r.Execute(ctx, e, Request{Action: create, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	ours := res.Outputs

	// Someone deletes it and makes their own under the same name.
	require.NoError(t, e.Client.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}}))
	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}, Data: map[string]string{"primary": "theirs"}}
	require.NoError(t, e.Client.Create(ctx, theirs))

	rb, reason := autoRollback(create, ours)
	require.NotNil(t, rb, reason)
	res, err = r.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err, "not an error: there is nothing of ours to delete")
	assert.Contains(t, res.Skipped, "configmap "+ns+"/settings was recreated by someone else")
	assert.Contains(t, res.Skipped, string(theirs.UID))
	assert.Contains(t, res.Skipped, string(ours.ResourceRef.UID))
	got := &corev1.ConfigMap{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, got), "their object is left in place")
	assert.Equal(t, theirs.UID, got.UID)

	// With the execution's own object in place, the rollback deletes it.
	require.NoError(t, e.Client.Delete(ctx, theirs))
	res, err = r.Execute(ctx, e, Request{Action: create, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	rb, _ = autoRollback(create, res.Outputs)
	res, err = r.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.Empty(t, res.Skipped)
	assert.Equal(t, "deleted configmap "+ns+"/settings", res.Message)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, got)))
}
