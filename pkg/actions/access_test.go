package actions

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// What each type's example touches, as drctl check will ask the cluster about it.
func TestAccessOfEveryTypesExamples(t *testing.T) {
	at := ExampleTarget{Namespace: "shop", Name: "web", URL: "https://hooks.example.com"}
	deployment := Access{GVK: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Namespace: "default", Name: "web", MustExist: true}
	for _, tc := range []struct {
		typ      v1alpha1.ActionType
		op       v1alpha1.ResourceOperation
		access   []Access
		rollback []Access
	}{
		{typ: v1alpha1.ActionHTTP},
		{typ: v1alpha1.ActionJob, access: []Access{{GVK: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, Namespace: "shop", Verbs: []string{"create", "get", "watch"}}},
			rollback: []Access{{GVK: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, Namespace: "shop", Verbs: []string{"get", "delete"}}}},
		{typ: v1alpha1.ActionKubernetesResource, op: v1alpha1.OperationCreate,
			access:   []Access{{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "create"}}},
			rollback: []Access{{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "delete"}}}},
		{typ: v1alpha1.ActionKubernetesResource, op: v1alpha1.OperationPatch,
			access: []Access{{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "shop", Name: "web", Verbs: []string{"patch"}, MustExist: true}}},
		{typ: v1alpha1.ActionKubernetesResource, op: v1alpha1.OperationDelete,
			access: []Access{{GVK: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "delete"}}}},
		{typ: v1alpha1.ActionSubscription, op: v1alpha1.OperationApply,
			access:   []Access{{GVK: schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Subscription"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "patch", "create"}}, deployment},
			rollback: []Access{{GVK: schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Subscription"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "delete"}}}},
		{typ: v1alpha1.ActionLocalization, op: v1alpha1.OperationCreate,
			access:   []Access{{GVK: schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Localization"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "create"}}},
			rollback: []Access{{GVK: schema.GroupVersionKind{Group: "apps.clusternet.io", Version: "v1alpha1", Kind: "Localization"}, Namespace: "shop", Name: "web", Verbs: []string{"get", "delete"}}}},
	} {
		typ := Lookup(tc.typ)
		require.NotNil(t, typ)
		a := typ.Example(tc.op, at)
		assert.Equal(t, tc.access, typ.AccessOf(a), "%s %s", tc.typ, tc.op)
		assert.Equal(t, tc.rollback, typ.RollbackAccessOf(a), "%s %s rollback", tc.typ, tc.op)
	}
	// Every type that makes objects says which.
	for _, typ := range Types() {
		if typ.Name == v1alpha1.ActionHTTP {
			continue
		}
		ops := typ.Operations
		if len(ops) == 0 {
			ops = []v1alpha1.ResourceOperation{""}
		}
		for _, op := range ops {
			assert.NotEmpty(t, typ.AccessOf(typ.Example(op, at)), "%s %s touches objects drctl check must know of", typ.Name, op)
		}
	}
}

// A hook's cleanup deletes what it made; a Subscription run per cluster lists the ManagedClusters
// and applies a child Subscription for each.
func TestAccessOfHooksAndPerCluster(t *testing.T) {
	at := ExampleTarget{Namespace: "shop", Name: "web"}
	hook := Lookup(v1alpha1.ActionKubernetesResource).Example(v1alpha1.OperationCreate, at)
	hook.HookCleanup = &v1alpha1.HookCleanup{}
	assert.Equal(t, []string{"get", "create", "delete"}, Lookup(v1alpha1.ActionKubernetesResource).AccessOf(hook)[0].Verbs)

	sub := Lookup(v1alpha1.ActionSubscription)
	a := sub.Example(v1alpha1.OperationApply, at)
	a.ClusterExecutionMode, a.WaitReady = v1alpha1.ClusterExecutionPerCluster, true
	access := sub.AccessOf(a)
	require.Len(t, access, 4)
	assert.Equal(t, Access{GVK: managedClusterGVK, Verbs: []string{"list"}}, access[1])
	assert.Equal(t, []string{"list", "patch", "create"}, access[2].Verbs)
}
