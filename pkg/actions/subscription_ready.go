package actions

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
)

// readyPollInterval is how often a Subscription's status is read while waitReady waits.
var readyPollInterval = time.Second

// awaitSubscription waits, for the attempt's timeout, until the Subscription is ready
// (subscriptionReady), reading the aggregated status Clusternet keeps on the hub: no child
// cluster is asked. Running out of time fails the action with what is still not ready; waiting
// again is only a longer timeout, so it is not retried. A stop of the whole run leaves the
// Subscription for a resume, which waits again.
func awaitSubscription(ctx context.Context, env Env, namespace, name string, res Result) (Result, error) {
	var why, ready string
	err := wait.PollUntilContextCancel(ctx, readyPollInterval, true, func(ctx context.Context) (bool, error) {
		sub, err := readSubscription(ctx, env.Client, namespace, name)
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		ok, reason := subscriptionReady(sub)
		why = reason
		if ok {
			ready = fmt.Sprintf("every feed available in %s", strings.Join(sub.Status.BindingClusters, ", "))
		}
		return ok, nil
	})
	switch {
	case err == nil:
		res.Message += "; ready: " + ready
		return res, nil
	case ctx.Err() != nil && attemptTimedOut(ctx):
		return res, Permanent(fmt.Errorf("subscription %s/%s is not ready when the action's timeout ends: %s", namespace, name, why))
	case ctx.Err() != nil:
		return res, fmt.Errorf("stopped waiting for subscription %s/%s to be ready (%s): %w", namespace, name, why, ctx.Err())
	}
	return res, err
}

// subscriptionReady says whether Clusternet reports a Subscription done: bound to clusters, every
// release it wants completed, and every feed available in every binding cluster. When not, why
// names the clusters and feeds that are not there yet.
func subscriptionReady(sub *clusternetv1alpha1.Subscription) (ready bool, why string) {
	st := sub.Status
	if len(st.BindingClusters) == 0 {
		return false, "it is not bound to any cluster yet (status.bindingClusters is empty)"
	}
	if st.DesiredReleases == 0 || st.CompletedReleases < st.DesiredReleases {
		return false, fmt.Sprintf("%d of %d releases completed in clusters %s", st.CompletedReleases, st.DesiredReleases, strings.Join(st.BindingClusters, ", "))
	}
	var missing []string
	for _, feed := range sub.Spec.Feeds {
		agg := aggregatedStatusOf(st.AggregatedStatuses, feed)
		for _, cluster := range st.BindingClusters {
			detail := feedStatusIn(agg, cluster)
			switch {
			case detail == nil:
				missing = append(missing, fmt.Sprintf("cluster %s: %s has no status yet", cluster, feedName(feed)))
			case !detail.Available:
				missing = append(missing, fmt.Sprintf("cluster %s: %s is not available yet%s", cluster, feedName(feed), replicas(detail.ReplicaStatus)))
			}
		}
	}
	if len(missing) > 0 {
		return false, strings.Join(missing, "; ")
	}
	return true, ""
}

func aggregatedStatusOf(statuses []clusternetv1alpha1.AggregatedStatus, feed clusternetv1alpha1.Feed) *clusternetv1alpha1.AggregatedStatus {
	for i, s := range statuses {
		if s.APIVersion == feed.APIVersion && s.Kind == feed.Kind && s.Namespace == feed.Namespace && s.Name == feed.Name {
			return &statuses[i]
		}
	}
	return nil
}

// feedStatusIn is a feed's status in one binding cluster ("namespace/name"), matched by the
// cluster's name.
func feedStatusIn(agg *clusternetv1alpha1.AggregatedStatus, cluster string) *clusternetv1alpha1.FeedStatusPerCluster {
	if agg == nil {
		return nil
	}
	_, name, ok := strings.Cut(cluster, "/")
	if !ok {
		name = cluster
	}
	for i, d := range agg.FeedStatusDetails {
		if d.ClusterName == name {
			return &agg.FeedStatusDetails[i]
		}
	}
	return nil
}

func feedName(f clusternetv1alpha1.Feed) string {
	if f.Namespace == "" {
		return f.Kind + " " + f.Name
	}
	return f.Kind + " " + f.Namespace + "/" + f.Name
}

func replicas(r clusternetv1alpha1.ReplicaStatus) string {
	if r.Replicas == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d of %d replicas ready)", r.ReadyReplicas, r.Replicas)
}
