package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// A Subscription action with clusterExecutionMode PerCluster (and waitReady) is split, as the
// upstream controller splits it, into one child Subscription per cluster it binds to. Each child
// carries the action's feeds and a subscriber pinned to its cluster's id, and each is awaited and
// recorded on its own: outputs.subscriptionRefs and the action's clusterStatuses. The clusters are
// the ManagedClusters the action's subscribers select, as Clusternet's scheduler would bind them.
// A revert deletes every child.

// LabelPerClusterOf marks a child Subscription with the name of the action's Subscription.
const LabelPerClusterOf = "dr.bkbcs.tencent.com/per-cluster-of"

// managedClusterGVK is Clusternet's ManagedCluster (read as unstructured: drctl needs only its
// labels and cluster id).
var managedClusterGVK = schema.GroupVersionKind{Group: "clusters.clusternet.io", Version: "v1beta1", Kind: "ManagedCluster"}

// labelClusterID is the label Clusternet puts on a ManagedCluster with its id.
const labelClusterID = "clusters.clusternet.io/cluster-id"

type boundCluster struct {
	key, name, id string // key is namespace/name, as Subscription status names binding clusters
}

// perCluster creates (or applies) one child Subscription per selected cluster and awaits them all.
func (c *Clusternet) perCluster(ctx context.Context, env Env, req Request, t target) (Result, error) {
	spec, _ := t.spec.(*clusternetv1alpha1.SubscriptionSpec)
	if spec == nil {
		return Result{}, Permanent(fmt.Errorf("subscription %s/%s: PerCluster needs a spec", t.namespace, t.name))
	}
	clusters, err := selectedClusters(ctx, env.Client, spec.Subscribers)
	if err != nil {
		return Result{}, err
	}
	if len(clusters) == 0 {
		return Result{}, Permanent(fmt.Errorf("subscription %s/%s: no ManagedCluster matches its subscribers, so there is no cluster to run it per", t.namespace, t.name))
	}
	out := &v1alpha1.ActionOutputs{}
	childLabels := map[string]string{LabelPerClusterOf: t.name}
	for k, v := range req.Labels {
		childLabels[k] = v
	}
	for _, cl := range clusters {
		child := *spec
		child.Subscribers = []clusternetv1alpha1.Subscriber{{ClusterAffinity: &metav1.LabelSelector{MatchLabels: map[string]string{labelClusterID: cl.id}}}}
		ct := target{op: t.op, name: childName(t.name, cl.name), namespace: t.namespace, spec: &child}
		obj, err := c.object(ct)
		if err != nil {
			return Result{Outputs: out}, Permanent(err)
		}
		var res Result
		if ct.op == string(v1alpha1.OperationApply) {
			addLabels(obj, childLabels)
			var live *unstructured.Unstructured
			live, err = serverSideApply(ctx, env.Client, obj, false)
			if err == nil {
				res = c.result(live, false, "")
			}
		} else {
			res, err = c.create(ctx, env, Request{Action: req.Action, Labels: childLabels, ReplaceExisting: req.ReplaceExisting}, obj)
		}
		if err != nil {
			return Result{Outputs: out}, err
		}
		out.SubscriptionRefs = append(out.SubscriptionRefs, *res.Outputs.SubscriptionRef)
	}
	return awaitChildren(ctx, env, t, clusters, out)
}

// awaitChildren waits until every child is ready, recording each cluster's state.
func awaitChildren(ctx context.Context, env Env, t target, clusters []boundCluster, out *v1alpha1.ActionOutputs) (Result, error) {
	start := metav1.Now()
	statuses := make([]v1alpha1.ClusterActionStatus, len(clusters))
	for i, cl := range clusters {
		statuses[i] = v1alpha1.ClusterActionStatus{Cluster: cl.key, ClusterID: cl.id, Phase: v1alpha1.PhaseRunning, StartTime: &start}
	}
	err := wait.PollUntilContextCancel(ctx, readyPollInterval, true, func(ctx context.Context) (bool, error) {
		all := true
		for i, ref := range out.SubscriptionRefs {
			if statuses[i].Phase == v1alpha1.PhaseSucceeded {
				continue
			}
			sub, err := readSubscription(ctx, env.Client, ref.Namespace, ref.Name)
			if err != nil {
				if ctx.Err() != nil {
					return false, nil
				}
				return false, err
			}
			if ok, why := subscriptionReady(sub); ok {
				now := metav1.Now()
				statuses[i].Phase, statuses[i].Message, statuses[i].CompletionTime = v1alpha1.PhaseSucceeded, "every feed available", &now
			} else {
				statuses[i].Message, all = why, false
			}
		}
		return all, nil
	})
	res := Result{Outputs: out, ClusterStatuses: statuses,
		Message: fmt.Sprintf("%d child subscriptions of %s/%s, one per cluster", len(clusters), t.namespace, t.name)}
	if err == nil {
		res.Message += ", ready in every cluster"
		return res, nil
	}
	var waiting []string
	for i := range statuses {
		if statuses[i].Phase != v1alpha1.PhaseSucceeded {
			if attemptTimedOut(ctx) {
				statuses[i].Phase = v1alpha1.PhaseFailed
			}
			waiting = append(waiting, fmt.Sprintf("%s: %s", statuses[i].Cluster, statuses[i].Message))
		}
	}
	if ctx.Err() != nil && attemptTimedOut(ctx) {
		return res, Permanent(fmt.Errorf("subscription %s/%s is not ready in %d of %d clusters when the action's timeout ends: %s", t.namespace, t.name, len(waiting), len(clusters), strings.Join(waiting, "; ")))
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("stopped waiting for the child subscriptions of %s/%s: %w", t.namespace, t.name, ctx.Err())
	}
	return res, err
}

// deletePerCluster deletes every child of a PerCluster Subscription: the revert of its action.
func (c *Clusternet) deletePerCluster(ctx context.Context, env Env, t target) (Result, error) {
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion(clusternetv1alpha1.GroupVersion.String())
	list.SetKind("SubscriptionList")
	if err := env.Client.List(ctx, list, client.InNamespace(t.namespace), client.MatchingLabels{LabelPerClusterOf: t.name}); err != nil {
		return Result{}, classify(fmt.Errorf("list the child subscriptions of %s/%s: %w", t.namespace, t.name, err))
	}
	var deleted []string
	for i := range list.Items {
		child := &list.Items[i]
		if _, _, err := deleteRecorded(ctx, env.Client, child, describe(child)); err != nil {
			return Result{}, err
		}
		deleted = append(deleted, child.GetName())
	}
	slices.Sort(deleted)
	if len(deleted) == 0 {
		return Result{Message: "no child subscription of " + t.namespace + "/" + t.name + " left"}, nil
	}
	return Result{Message: fmt.Sprintf("deletion of %d child subscriptions accepted: %s", len(deleted), strings.Join(deleted, ", "))}, nil
}

// selectedClusters are the ManagedClusters any subscriber's cluster affinity selects, by key.
func selectedClusters(ctx context.Context, c client.Client, subscribers []clusternetv1alpha1.Subscriber) ([]boundCluster, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(managedClusterGVK.GroupVersion().WithKind("ManagedClusterList"))
	if err := c.List(ctx, list); err != nil {
		return nil, classify(fmt.Errorf("list ManagedClusters: %w", err))
	}
	var out []boundCluster
	for _, mc := range list.Items {
		for _, s := range subscribers {
			if s.ClusterAffinity == nil {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(s.ClusterAffinity)
			if err != nil {
				return nil, Permanent(fmt.Errorf("subscriber clusterAffinity: %w", err))
			}
			if sel.Matches(labels.Set(mc.GetLabels())) {
				id, _, _ := unstructured.NestedString(mc.Object, "spec", "clusterId")
				out = append(out, boundCluster{key: mc.GetNamespace() + "/" + mc.GetName(), name: mc.GetName(), id: id})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b boundCluster) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

func readSubscription(ctx context.Context, c client.Client, namespace, name string) (*clusternetv1alpha1.Subscription, error) {
	live := &unstructured.Unstructured{}
	live.SetAPIVersion(clusternetv1alpha1.GroupVersion.String())
	live.SetKind("Subscription")
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, live); err != nil {
		return nil, classify(fmt.Errorf("read subscription %s/%s: %w", namespace, name, err))
	}
	sub := &clusternetv1alpha1.Subscription{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(live.Object, sub); err != nil {
		return nil, Permanent(fmt.Errorf("read subscription %s/%s: %w", namespace, name, err))
	}
	return sub, nil
}

// childName is <subscription>-<cluster>, shortened with a hash to stay a valid label value.
func childName(parent, cluster string) string {
	name := parent + "-" + cluster
	if len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:54], "-.") + "-" + hex.EncodeToString(sum[:])[:8]
}

// perClusterUndo is the revert of a PerCluster Subscription action that recorded its children.
func perClusterUndo(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) *v1alpha1.Action {
	if forward.ClusterExecutionMode != v1alpha1.ClusterExecutionPerCluster || outputs == nil || len(outputs.SubscriptionRefs) == 0 {
		return nil
	}
	ref := outputs.SubscriptionRefs[0]
	parent := ref.Name
	if l := forward.Subscription; l != nil {
		parent = l.Name
	}
	return &v1alpha1.Action{Type: v1alpha1.ActionSubscription, ClusterExecutionMode: v1alpha1.ClusterExecutionPerCluster,
		Subscription: &v1alpha1.SubscriptionAction{Operation: v1alpha1.SubscriptionOperation(v1alpha1.OperationDelete), Name: parent, Namespace: ref.Namespace}}
}
