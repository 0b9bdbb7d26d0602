package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
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
	childLabels := map[string]string{LabelPerClusterOf: shortName(t.name)}
	for k, v := range req.Labels {
		childLabels[k] = v
	}
	anyExisted := false
	for _, cl := range clusters {
		child := *spec
		child.Subscribers = []clusternetv1alpha1.Subscriber{{ClusterAffinity: &metav1.LabelSelector{MatchLabels: map[string]string{labelClusterID: cl.id}}}}
		ct := target{op: t.op, name: childName(t.name, cl), namespace: t.namespace, spec: &child}
		obj, err := c.object(ct)
		if err != nil {
			return Result{Outputs: out}, Permanent(err)
		}
		var res Result
		if ct.op == string(v1alpha1.OperationApply) {
			// As a Global Apply: only a child this action creates is labelled as its own, and a
			// revert deletes the children only when none existed before.
			existed, err := existedBefore(ctx, env.Client, obj, nil, childLabels)
			if err != nil {
				return Result{Outputs: out}, err
			}
			anyExisted = anyExisted || existed
			if !existed {
				addLabels(obj, childLabels)
			}
			live, err := serverSideApply(ctx, env.Client, obj, false)
			if err != nil {
				return Result{Outputs: out}, err
			}
			res = c.result(live, existed, "")
		} else {
			res, err = c.create(ctx, env, Request{Action: req.Action, Labels: childLabels, ReplaceExisting: req.ReplaceExisting}, obj)
			if err != nil {
				return Result{Outputs: out}, err
			}
		}
		out.SubscriptionRefs = append(out.SubscriptionRefs, *res.Outputs.SubscriptionRef)
	}
	if t.op == string(v1alpha1.OperationApply) {
		out.ResourceExisted = &anyExisted
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
	stopped := ctx.Err() != nil && !attemptTimedOut(ctx) // the run stops: the children wait for a resume
	var waiting []string
	for i := range statuses {
		if statuses[i].Phase != v1alpha1.PhaseSucceeded {
			if !stopped {
				now := metav1.Now()
				statuses[i].Phase, statuses[i].CompletionTime = v1alpha1.PhaseFailed, &now
			}
			waiting = append(waiting, fmt.Sprintf("%s: %s", statuses[i].Cluster, statuses[i].Message))
		}
	}
	switch {
	case stopped:
		return res, fmt.Errorf("stopped waiting for the child subscriptions of %s/%s: %w", t.namespace, t.name, ctx.Err())
	case ctx.Err() != nil:
		return res, Permanent(fmt.Errorf("subscription %s/%s is not ready in %d of %d clusters when the action's timeout ends: %s", t.namespace, t.name, len(waiting), len(clusters), strings.Join(waiting, "; ")))
	}
	return res, err
}

// deletePerCluster deletes the children of a PerCluster Subscription: those the action names in
// childRefs, each only while it has the recorded UID (a revert), or else every child of the name
// (a Delete written so, or inferred by Delete mode).
func (c *Clusternet) deletePerCluster(ctx context.Context, env Env, t target, refs []corev1.ObjectReference) (Result, error) {
	var children []*unstructured.Unstructured
	if len(refs) > 0 {
		for _, ref := range refs {
			child := &unstructured.Unstructured{}
			child.SetAPIVersion(clusternetv1alpha1.GroupVersion.String())
			child.SetKind("Subscription")
			child.SetNamespace(ref.Namespace)
			child.SetName(ref.Name)
			child.SetUID(ref.UID)
			children = append(children, child)
		}
	} else {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion(clusternetv1alpha1.GroupVersion.String())
		list.SetKind("SubscriptionList")
		if err := env.Client.List(ctx, list, client.InNamespace(t.namespace), client.MatchingLabels{LabelPerClusterOf: shortName(t.name)}); err != nil {
			return Result{}, classify(fmt.Errorf("list the child subscriptions of %s/%s: %w", t.namespace, t.name, err))
		}
		for i := range list.Items {
			children = append(children, &list.Items[i])
		}
	}
	var deleted, kept []string
	for _, child := range children {
		absent, skipped, err := deleteRecorded(ctx, env.Client, child, describe(child))
		switch {
		case err != nil:
			return Result{}, err
		case skipped != "":
			kept = append(kept, skipped)
		case !absent:
			deleted = append(deleted, child.GetName())
		}
	}
	slices.Sort(deleted)
	msg := fmt.Sprintf("deletion of %d child subscriptions of %s/%s accepted", len(deleted), t.namespace, t.name)
	if len(deleted) > 0 {
		msg += ": " + strings.Join(deleted, ", ")
	}
	if len(kept) > 0 {
		msg += "; " + strings.Join(kept, "; ")
	}
	return Result{Message: msg}, nil
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

// childName is <subscription>-<cluster>-<first 8 of the cluster id>: clusters of the same name in
// different namespaces get different children. Shortened with a hash past 63 characters.
func childName(parent string, cl boundCluster) string {
	id := cl.id
	if len(id) > 8 {
		id = id[:8]
	}
	return shortName(parent + "-" + cl.name + "-" + id)
}

// shortName keeps a name within 63 characters (a label value's limit), with a hash of the whole.
func shortName(name string) string {
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
		Subscription: &v1alpha1.SubscriptionAction{Operation: v1alpha1.SubscriptionOperation(v1alpha1.OperationDelete), Name: parent, Namespace: ref.Namespace,
			ChildRefs: outputs.SubscriptionRefs}}
}
