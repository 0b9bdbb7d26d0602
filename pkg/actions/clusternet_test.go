package actions

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestLocalizationCreatePatchDeleteOnClusternetsCRD(t *testing.T) {
	requireClusternet(t)
	e, ns := testEnv(t)
	ctx := context.Background()
	loc := clusternetKind("Localization")
	create := &v1alpha1.Action{Name: "scale", Type: v1alpha1.ActionLocalization, Localization: &v1alpha1.LocalizationAction{
		Name: "web-replicas", Namespace: ns,
		Spec: &clusternetv1alpha1.LocalizationSpec{
			OverridePolicy: clusternetv1alpha1.ApplyNow,
			Feed:           &clusternetv1alpha1.Feed{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"},
			Overrides:      []clusternetv1alpha1.OverrideConfig{{Name: "replicas", Type: clusternetv1alpha1.MergePatchType, Value: `{"spec":{"replicas":5}}`}},
		},
	}}
	labels := map[string]string{"dr.bkbcs.tencent.com/execution": "exec-1", "dr.bkbcs.tencent.com/action": "svc.scale"}
	res, err := loc.Execute(ctx, e, Request{Action: create, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	require.NotNil(t, res.Outputs.LocalizationRef)
	got := &clusternetv1alpha1.Localization{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, got))
	assert.Equal(t, int32(500), got.Spec.Priority, "Clusternet's CRD default applies")
	assert.Equal(t, clusternetv1alpha1.ApplyNow, got.Spec.OverridePolicy)
	assert.Equal(t, "svc.scale", got.Labels["dr.bkbcs.tencent.com/action"])

	// Clusternet adds its finalizer; a patch must keep it and change only what it names.
	got.Finalizers = []string{"apps.clusternet.io/finalizer"}
	require.NoError(t, e.Client.Update(ctx, got))
	patch := &v1alpha1.Action{Name: "prio", Type: v1alpha1.ActionLocalization, Localization: &v1alpha1.LocalizationAction{
		Operation: "Patch", Name: "web-replicas", Namespace: ns, Spec: &clusternetv1alpha1.LocalizationSpec{Priority: 900},
	}}
	_, err = loc.Execute(ctx, e, Request{Action: patch, Namespace: ns})
	require.NoError(t, err)
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, got))
	assert.Equal(t, int32(900), got.Spec.Priority)
	assert.Equal(t, "web", got.Spec.Feed.Name)
	assert.Equal(t, []string{"apps.clusternet.io/finalizer"}, got.Finalizers)

	// The automatic rollback of the Create is a Delete, accepted at once (the finalizer is Clusternet's).
	rb, reason := autoRollback(create, res.Outputs)
	require.NotNil(t, rb, reason)
	res, err = loc.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.Contains(t, res.Message, "deletion of localization "+ns+"/web-replicas accepted")
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, got))
	assert.NotNil(t, got.DeletionTimestamp)

	_, reason = autoRollback(patch, res.Outputs)
	assert.Equal(t, "the inverse of a patch cannot be inferred; define a rollback to undo it", reason)
}

func TestSubscriptionCreateAndReplace(t *testing.T) {
	requireClusternet(t)
	e, ns := testEnv(t)
	ctx := context.Background()
	sub := clusternetKind("Subscription")
	action := func(op string, replicas int32) *v1alpha1.Action {
		return &v1alpha1.Action{Name: "sub", Type: v1alpha1.ActionSubscription, Subscription: &v1alpha1.SubscriptionAction{
			Operation: v1alpha1.SubscriptionOperation(op), Name: "web",
			Spec: &clusternetv1alpha1.SubscriptionSpec{
				Priority:    ptr.To(replicas),
				Feeds:       []clusternetv1alpha1.Feed{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: ns}},
				Subscribers: []clusternetv1alpha1.Subscriber{{ClusterAffinity: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "dr"}}}},
			},
		}}
	}
	_, err := sub.Execute(ctx, e, Request{Action: action("Create", 1), Namespace: ns})
	require.NoError(t, err)
	got := &clusternetv1alpha1.Subscription{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, got), "the namespace defaults to the plan's")
	assert.Equal(t, clusternetv1alpha1.ReplicaSchedulingStrategy, got.Spec.SchedulingStrategy, "CRD default")
	assert.Equal(t, clusternetv1alpha1.PreemptLowerPriority, *got.Spec.PreemptionPolicy, "CRD default")
	oldUID := got.UID

	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := sub.Execute(ctx2, e, Request{Action: action("Replace", 7), Namespace: ns})
	require.NoError(t, err, "Replace deletes, waits until gone, creates")
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, got))
	assert.NotEqual(t, oldUID, got.UID)
	assert.Equal(t, int32(7), *got.Spec.Priority)
	assert.Equal(t, "web", res.Outputs.SubscriptionRef.Name)

	_, err = sub.Execute(ctx, e, Request{Action: action("Delete", 0), Namespace: ns})
	require.NoError(t, err)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, got)))
}

// A Clusternet Apply retried after a crash, with nothing recorded, still owns the object its
// earlier attempt created (it carries this execution's labels): reverting deletes it.
func TestLocalizationApplyRetriedAfterCrashStillOwnsIt(t *testing.T) {
	requireClusternet(t)
	e, ns := testEnv(t)
	ctx := context.Background()
	loc := clusternetKind("Localization")
	apply := webReplicas(ns, "Apply")
	labels := map[string]string{"dr.bkbcs.tencent.com/execution": "exec-5", "dr.bkbcs.tencent.com/action": "svc.scale"}
	res, err := loc.Execute(ctx, e, Request{Action: apply, Namespace: ns, Labels: labels})
	require.NoError(t, err)
	assert.False(t, *res.Outputs.ResourceExisted)
	res, err = loc.Execute(ctx, e, Request{Action: apply, Namespace: ns, Labels: labels, Recorded: nil})
	require.NoError(t, err)
	assert.False(t, *res.Outputs.ResourceExisted, "created by the earlier attempt of this execution")
	rb, reason := autoRollback(apply, res.Outputs)
	require.NotNil(t, rb, reason)
	_, err = loc.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.True(t, apierrors.IsNotFound(e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, &clusternetv1alpha1.Localization{})))
}

// A Clusternet automatic rollback deletes only the object the forward action made: one recreated
// by someone else under the same name is left alone, and the rollback says so.
func TestClusternetAutoRollbackSparesAnObjectRecreatedUnderTheSameName(t *testing.T) {
	requireClusternet(t)
	e, ns := testEnv(t)
	ctx := context.Background()
	loc := clusternetKind("Localization")
	create := webReplicas(ns, "")
	res, err := loc.Execute(ctx, e, Request{Action: create, Namespace: ns, Labels: map[string]string{"dr.bkbcs.tencent.com/execution": "exec-6"}})
	require.NoError(t, err)
	ours := res.Outputs

	ourObj := &clusternetv1alpha1.Localization{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, ourObj))
	require.NoError(t, e.Client.Delete(ctx, ourObj))
	theirs := &clusternetv1alpha1.Localization{ObjectMeta: metav1.ObjectMeta{Name: "web-replicas", Namespace: ns}, Spec: *create.Localization.Spec}
	require.NoError(t, e.Client.Create(ctx, theirs))

	rb, reason := autoRollback(create, ours)
	require.NotNil(t, rb, reason)
	assert.Equal(t, string(ours.LocalizationRef.UID), rb.Localization.UID, "the rollback carries the recorded UID")
	res, err = loc.Execute(ctx, e, Request{Action: rb, Namespace: ns})
	require.NoError(t, err)
	assert.Contains(t, res.Skipped, "recreated by someone else")
	got := &clusternetv1alpha1.Localization{}
	require.NoError(t, e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-replicas"}, got), "their Localization is left in place")
	assert.Equal(t, theirs.UID, got.UID)
}

// webReplicas is a Localization action on the Localization web-replicas of ns (operation op).
func webReplicas(ns string, op v1alpha1.ClusternetOperation) *v1alpha1.Action {
	return &v1alpha1.Action{Name: "scale", Type: v1alpha1.ActionLocalization, Localization: &v1alpha1.LocalizationAction{
		Operation: op, Name: "web-replicas", Namespace: ns,
		Spec: &clusternetv1alpha1.LocalizationSpec{
			OverridePolicy: clusternetv1alpha1.ApplyNow,
			Feed:           &clusternetv1alpha1.Feed{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop"},
		},
	}}
}
