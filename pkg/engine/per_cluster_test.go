package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/actions"
	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// managedClusters registers n ManagedClusters labelled for this test (and one that is not) and
// returns their keys (namespace/name), ids, and the key of each id.
func managedClusters(t *testing.T, f *fixture, n int) (keys, ids []string, keyOf map[string]string) {
	t.Helper()
	for i := 0; i <= n; i++ {
		ns := fmt.Sprintf("%s-mc%d", f.namespace, i)
		require.NoError(t, f.client.Create(f.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", time.Now().UnixNano()%1e12+int64(i))
		role := "standby"
		if i == n {
			role = "primary" // not selected
		}
		mc := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "clusters.clusternet.io/v1beta1", "kind": "ManagedCluster",
			"metadata": map[string]any{"name": fmt.Sprintf("cluster-%d", i), "namespace": ns,
				"labels": map[string]any{"drtest": f.namespace, "role": role, "clusters.clusternet.io/cluster-id": id}},
			"spec": map[string]any{"clusterId": id, "syncMode": "Pull"},
		}}
		require.NoError(t, f.client.Create(f.ctx, mc))
		if i < n {
			keys, ids = append(keys, ns+"/"+mc.GetName()), append(ids, id)
		}
	}
	keyOf = map[string]string{}
	for i := range keys {
		keyOf[ids[i]] = keys[i]
	}
	return keys, ids, keyOf
}

func perClusterPlan(ns, timeout string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
  - name: deploy
    type: Subscription
    waitReady: true
    clusterExecutionMode: PerCluster
    timeout: %[2]s
    retryPolicy: {limit: 0}
    subscription:
      name: web
      spec:
        feeds: [{apiVersion: apps/v1, kind: Deployment, name: web, namespace: %[1]s}]
        subscribers: [{clusterAffinity: {matchLabels: {drtest: %[1]s, role: standby}}}]
`+appPlan, ns, timeout)
}

// playClusternet marks each child Subscription ready in its cluster (all but the skipped ones)
// as soon as it appears, until ctx ends.
func playClusternet(ctx context.Context, t *testing.T, f *fixture, keyOf map[string]string, skip string) {
	for ctx.Err() == nil {
		subs := &clusternetv1alpha1.SubscriptionList{}
		if err := f.client.List(ctx, subs, client.InNamespace(f.namespace), client.MatchingLabels{actions.LabelPerClusterOf: "web"}); err == nil {
			for i := range subs.Items {
				sub := &subs.Items[i]
				id := sub.Spec.Subscribers[0].ClusterAffinity.MatchLabels["clusters.clusternet.io/cluster-id"]
				key := keyOf[id]
				if key == "" || strings.HasSuffix(key, skip) || len(sub.Status.BindingClusters) > 0 {
					continue
				}
				_, name, _ := strings.Cut(key, "/")
				sub.Status = clusternetv1alpha1.SubscriptionStatus{BindingClusters: []string{key}, DesiredReleases: 1, CompletedReleases: 1,
					AggregatedStatuses: []clusternetv1alpha1.AggregatedStatus{{Feed: sub.Spec.Feeds[0],
						FeedStatusDetails: []clusternetv1alpha1.FeedStatusPerCluster{{ClusterName: name, FeedStatus: clusternetv1alpha1.FeedStatus{Available: true}}}}}}
				_ = f.client.Status().Update(ctx, sub)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PerCluster fans a Subscription out to one child per selected cluster, awaits and records each,
// and a revert deletes each.
func TestPerClusterFansOutRecordsAndRevertsEachCluster(t *testing.T) {
	f := newFixture(t)
	keys, ids, keyOf := managedClusters(t, f, 3)
	f.apply(perClusterPlan(f.namespace, "30s"))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go playClusternet(ctx, t, f, keyOf, "none")

	res := f.execute("app")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	deploy := actionStatus(f.durable(res.Execution.Name), "s", "app", "deploy")
	require.Len(t, deploy.Outputs.SubscriptionRefs, 3, "one child per selected cluster; the primary is not selected")
	require.Len(t, deploy.ClusterStatuses, 3)
	for i, cs := range deploy.ClusterStatuses {
		assert.Equal(t, keys[i], cs.Cluster)
		assert.Equal(t, ids[i], cs.ClusterID)
		assert.Equal(t, v1alpha1.PhaseSucceeded, cs.Phase)
	}
	children := &clusternetv1alpha1.SubscriptionList{}
	require.NoError(t, f.client.List(f.ctx, children, client.InNamespace(f.namespace)))
	require.Len(t, children.Items, 3, "no Subscription beside the children")

	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	require.NoError(t, f.client.List(f.ctx, children, client.InNamespace(f.namespace)))
	assert.Empty(t, children.Items, "the revert deleted every child")

	// Delete mode takes the children down too.
	again := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeInstall })
	require.Equal(t, v1alpha1.PhaseSucceeded, again.Phase, again.Message)
	del := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeDelete })
	require.Equal(t, v1alpha1.PhaseSucceeded, del.Phase, del.Message)
	assert.Contains(t, actionStatus(f.execution(del.Execution.Name), "s", "app", "deploy").Message, "deletion of 3 child subscriptions of "+f.namespace+"/web accepted")
	require.NoError(t, f.client.List(f.ctx, children, client.InNamespace(f.namespace)))
	assert.Empty(t, children.Items, "Delete mode deleted every child")
}

// A cluster whose child never gets ready fails the action when its timeout ends, naming that
// cluster; the others are recorded ready.
func TestPerClusterNamesTheClusterThatIsNotReady(t *testing.T) {
	f := newFixture(t)
	keys, _, keyOf := managedClusters(t, f, 3)
	f.apply(perClusterPlan(f.namespace, "8s"))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go playClusternet(ctx, t, f, keyOf, "/cluster-2")

	res := f.execute("app")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	deploy := actionStatus(f.durable(res.Execution.Name), "s", "app", "deploy")
	assert.Contains(t, deploy.Message, "is not ready in 1 of 3 clusters when the action's timeout ends: "+keys[2]+": it is not bound to any cluster yet")
	require.Len(t, deploy.ClusterStatuses, 3)
	assert.Equal(t, []v1alpha1.ExecutionPhase{v1alpha1.PhaseSucceeded, v1alpha1.PhaseSucceeded, v1alpha1.PhaseFailed},
		[]v1alpha1.ExecutionPhase{deploy.ClusterStatuses[0].Phase, deploy.ClusterStatuses[1].Phase, deploy.ClusterStatuses[2].Phase})
	assert.Len(t, deploy.Outputs.SubscriptionRefs, 3, "every child is recorded, so nothing is lost")
}
