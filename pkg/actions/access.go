package actions

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Access is one object an action reads or changes, and what it does with it: the API verbs it
// uses, and whether the object must exist before the action runs (a Patch's or a Delete's
// target, the feeds a Clusternet object distributes). drctl check asks the cluster about each
// before a run: is the kind served, does the namespace exist, may the user do it, is it there.
type Access struct {
	GVK schema.GroupVersionKind
	// Namespace is the object's; "" for the plan's namespace (or none, for a cluster-scoped kind).
	Namespace string
	// Name is the object's; "" when it is not known before the run (a Job's).
	Name string
	// Verbs are the API verbs used on it; none for an object only read by someone else (a feed).
	Verbs []string
	// MustExist says the action fails unless the object exists before it runs.
	MustExist bool
}

// AccessOf lists what the action does to which objects (nil for a type that touches none, HTTP).
func (t *Type) AccessOf(a *v1alpha1.Action) []Access {
	if t.access == nil || !t.Set(a) {
		return nil
	}
	out := t.access(a)
	if a.HookCleanup != nil { // a hook's cleanup deletes what it made, before or after it runs
		for i := range out {
			if len(out[i].Verbs) > 0 && !slices.Contains(out[i].Verbs, "delete") {
				out[i].Verbs = append(slices.Clone(out[i].Verbs), "delete")
			}
		}
	}
	return out
}

// RollbackAccessOf lists what the action's automatic rollback does: delete the objects the
// action makes, when its rollback deletes them; nil when it has none.
func (t *Type) RollbackAccessOf(a *v1alpha1.Action) []Access {
	if !t.Set(a) || t.Rollback == nil {
		return nil
	}
	switch t.RollbackOf(a).Kind {
	case RollbackDelete, RollbackDeleteIfCreated:
	default:
		return nil
	}
	var out []Access
	for _, acc := range t.AccessOf(a) {
		if len(acc.Verbs) > 0 { // what it changed, not what it only named
			out = append(out, Access{GVK: acc.GVK, Namespace: acc.Namespace, Name: acc.Name, Verbs: []string{"get", "delete"}})
		}
	}
	return out
}

// operationVerbs are the API verbs an operation uses on its object, and whether the object must
// exist before it. A server-side apply is a patch, and the API server also asks for create when
// it makes the object; a Delete of an object already gone succeeds.
func operationVerbs(op v1alpha1.ResourceOperation) (verbs []string, mustExist bool) {
	switch op {
	case v1alpha1.OperationApply:
		return []string{"get", "patch", "create"}, false
	case v1alpha1.OperationPatch:
		return []string{"patch"}, true
	case v1alpha1.OperationDelete:
		return []string{"get", "delete"}, false
	case v1alpha1.OperationReplace:
		return []string{"get", "delete", "create"}, false
	}
	return []string{"get", "create"}, false
}

// manifestAccess is the object of a KubernetesResource action's manifest.
func manifestAccess(a *v1alpha1.Action) []Access {
	var m metav1.PartialObjectMetadata
	if yaml.Unmarshal([]byte(a.Resource.Manifest), &m) != nil || m.Kind == "" {
		return nil // validation reports the manifest
	}
	verbs, mustExist := operationVerbs(operation(a.Resource.Operation))
	return []Access{{GVK: m.GroupVersionKind(), Namespace: m.Namespace, Name: m.Name, Verbs: verbs, MustExist: mustExist}}
}

// jobAccess is a Job action's Job: created, then watched until it ends (its name is per run).
func jobAccess(a *v1alpha1.Action) []Access {
	return []Access{{GVK: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, Namespace: a.Job.Namespace,
		Verbs: []string{"create", "get", "watch"}}}
}

// access is the Clusternet object of the action, and the feeds it distributes.
func (c *Clusternet) access(a *v1alpha1.Action) []Access {
	t, err := c.target(a, "")
	if err != nil {
		return nil
	}
	verbs, mustExist := operationVerbs(v1alpha1.ResourceOperation(t.op))
	out := []Access{{GVK: clusternetv1alpha1.GroupVersion.WithKind(c.kind), Namespace: t.namespace, Name: t.name, Verbs: verbs, MustExist: mustExist}}
	var feeds []clusternetv1alpha1.Feed
	switch {
	case a.Localization != nil && a.Localization.Spec != nil && a.Localization.Spec.Feed != nil:
		// Without a namespace, the feed's is not the Localization's (a ManagedCluster's): it
		// cannot be looked up.
		if f := *a.Localization.Spec.Feed; f.Namespace != "" {
			feeds = append(feeds, f)
		}
	case a.Globalization != nil && a.Globalization.Spec != nil && a.Globalization.Spec.Feed != nil:
		feeds = append(feeds, *a.Globalization.Spec.Feed)
	case a.Subscription != nil && a.Subscription.Spec != nil:
		feeds = a.Subscription.Spec.Feeds
	}
	if v1alpha1.ResourceOperation(t.op) == v1alpha1.OperationDelete {
		feeds = nil // a delete distributes nothing
	}
	if c.kind == "Subscription" && a.ClusterExecutionMode == v1alpha1.ClusterExecutionPerCluster {
		// Per cluster: the ManagedClusters its subscribers select are listed (cluster-wide), and
		// a child Subscription applied for each (and listed again by its revert).
		out = append(out, Access{GVK: managedClusterGVK, Verbs: []string{"list"}},
			Access{GVK: clusternetv1alpha1.GroupVersion.WithKind("Subscription"), Namespace: t.namespace, Verbs: []string{"list", "patch", "create"}})
	}
	for _, f := range feeds {
		out = append(out, Access{GVK: schema.FromAPIVersionAndKind(f.APIVersion, f.Kind), Namespace: f.Namespace, Name: f.Name, MustExist: true})
	}
	return out
}
