package actions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func waitReadySubscription(ns, name string) *v1alpha1.Action {
	return &v1alpha1.Action{Name: "deploy", Type: v1alpha1.ActionSubscription, WaitReady: true, Subscription: &v1alpha1.SubscriptionAction{
		Name: name, Namespace: ns,
		Spec: &clusternetv1alpha1.SubscriptionSpec{
			Feeds:       []clusternetv1alpha1.Feed{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: ns}},
			Subscribers: []clusternetv1alpha1.Subscriber{{ClusterAffinity: &metav1.LabelSelector{MatchLabels: map[string]string{"dr": "standby"}}}},
		},
	}}
}

// setSubscriptionStatus plays Clusternet: it writes the Subscription's aggregated status.
func setSubscriptionStatus(t *testing.T, e Env, ns, name string, st clusternetv1alpha1.SubscriptionStatus) {
	t.Helper()
	sub := &clusternetv1alpha1.Subscription{}
	require.NoError(t, e.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, sub))
	sub.Status = st
	require.NoError(t, e.Client.Status().Update(context.Background(), sub))
}

func feedIn(cluster string, available bool, ready, replicas int32) clusternetv1alpha1.FeedStatusPerCluster {
	return clusternetv1alpha1.FeedStatusPerCluster{ClusterName: cluster,
		FeedStatus: clusternetv1alpha1.FeedStatus{Available: available, ReplicaStatus: clusternetv1alpha1.ReplicaStatus{Replicas: replicas, ReadyReplicas: ready}}}
}

// waitReady waits while Clusternet's status says the Subscription is not released or its feeds
// are not available in every binding cluster, and succeeds once they are.
func TestWaitReadyWaitsForEveryClusterAndFeed(t *testing.T) {
	requireClusternet(t)
	readyPollInterval = 50 * time.Millisecond
	e, ns := testEnv(t)
	ctx, cancel := context.WithTimeoutCause(context.Background(), 30*time.Second, ErrAttemptTimedOut)
	defer cancel()
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := Default().executors[v1alpha1.ActionSubscription].Execute(ctx, e, Request{Action: waitReadySubscription(ns, "web"), Namespace: ns})
		done <- outcome{res, err}
	}()
	stillWaiting := func(why string) {
		t.Helper()
		select {
		case o := <-done:
			t.Fatalf("the action ended before %s: %+v %v", why, o.res, o.err)
		case <-time.After(400 * time.Millisecond):
		}
	}
	require.Eventually(t, func() bool {
		return e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &clusternetv1alpha1.Subscription{}) == nil
	}, 10*time.Second, 20*time.Millisecond)
	stillWaiting("it is bound to any cluster")

	clusters := []string{"clusternet-a/cluster-a", "clusternet-b/cluster-b"}
	setSubscriptionStatus(t, e, ns, "web", clusternetv1alpha1.SubscriptionStatus{BindingClusters: clusters, DesiredReleases: 2, CompletedReleases: 1})
	stillWaiting("every release completed")

	feed := clusternetv1alpha1.Feed{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: ns}
	setSubscriptionStatus(t, e, ns, "web", clusternetv1alpha1.SubscriptionStatus{BindingClusters: clusters, DesiredReleases: 2, CompletedReleases: 2,
		AggregatedStatuses: []clusternetv1alpha1.AggregatedStatus{{Feed: feed, FeedStatusDetails: []clusternetv1alpha1.FeedStatusPerCluster{feedIn("cluster-a", true, 3, 3), feedIn("cluster-b", false, 1, 3)}}}})
	stillWaiting("cluster-b's feed is available")

	setSubscriptionStatus(t, e, ns, "web", clusternetv1alpha1.SubscriptionStatus{BindingClusters: clusters, DesiredReleases: 2, CompletedReleases: 2,
		AggregatedStatuses: []clusternetv1alpha1.AggregatedStatus{{Feed: feed, FeedStatusDetails: []clusternetv1alpha1.FeedStatusPerCluster{feedIn("cluster-a", true, 3, 3), feedIn("cluster-b", true, 3, 3)}}}})
	select {
	case o := <-done:
		require.NoError(t, o.err)
		require.NotNil(t, o.res.Outputs.SubscriptionRef)
		assert.Contains(t, o.res.Message, "ready: every feed available in clusternet-a/cluster-a, clusternet-b/cluster-b")
	case <-time.After(10 * time.Second):
		t.Fatal("the action did not end once every feed was available")
	}
}

// A Subscription that never gets ready fails the action when its timeout ends, saying which
// cluster and which feed are not there, and the failure is not retried.
func TestWaitReadyTimesOutNamingWhatIsNotReady(t *testing.T) {
	requireClusternet(t)
	readyPollInterval = 50 * time.Millisecond
	e, ns := testEnv(t)
	exec := Default().executors[v1alpha1.ActionSubscription]
	// Created without waiting, then given a status that stays short of ready.
	plain := waitReadySubscription(ns, "web")
	plain.WaitReady = false
	_, err := exec.Execute(context.Background(), e, Request{Action: plain, Namespace: ns})
	require.NoError(t, err)
	feed := clusternetv1alpha1.Feed{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: ns}
	setSubscriptionStatus(t, e, ns, "web", clusternetv1alpha1.SubscriptionStatus{BindingClusters: []string{"clusternet-a/cluster-a", "clusternet-b/cluster-b"}, DesiredReleases: 2, CompletedReleases: 2,
		AggregatedStatuses: []clusternetv1alpha1.AggregatedStatus{{Feed: feed, FeedStatusDetails: []clusternetv1alpha1.FeedStatusPerCluster{feedIn("cluster-a", true, 3, 3), feedIn("cluster-b", false, 1, 3)}}}})

	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Second, ErrAttemptTimedOut)
	defer cancel()
	apply := waitReadySubscription(ns, "web")
	apply.Subscription.Operation = "Apply"
	res, err := exec.Execute(ctx, e, Request{Action: apply, Namespace: ns})
	require.Error(t, err)
	assert.True(t, IsPermanent(err), "waiting again is only a longer timeout")
	assert.Equal(t, "subscription "+ns+"/web is not ready when the action's timeout ends: cluster clusternet-b/cluster-b: Deployment "+ns+"/web is not available yet (1 of 3 replicas ready)", err.Error())
	require.NotNil(t, res.Outputs, "what the action did is recorded even though it failed")
	assert.NotNil(t, res.Outputs.SubscriptionRef)
	assert.False(t, errors.Is(err, context.Canceled))
}
