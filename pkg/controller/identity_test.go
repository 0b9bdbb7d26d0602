package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestWhoARunActsAs(t *testing.T) {
	plan := func(ns, sa string) *v1alpha1.DRPlan {
		return &v1alpha1.DRPlan{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"}, Spec: v1alpha1.DRPlanSpec{ServiceAccountName: sa}}
	}
	own := Options{SystemNamespace: "drctl-system"}
	cases := []struct {
		name    string
		plan    *v1alpha1.DRPlan
		opts    Options
		user    string
		refused bool
	}{
		{"the plan's account", plan("team-a", "dr-runner"), own, "system:serviceaccount:team-a:dr-runner", false},
		{"the plan's account over the default", plan("team-a", "dr-runner"), Options{SystemNamespace: "drctl-system", DefaultServiceAccount: "dr"}, "system:serviceaccount:team-a:dr-runner", false},
		{"the default account of the plan's namespace", plan("team-a", ""), Options{SystemNamespace: "drctl-system", DefaultServiceAccount: "dr"}, "system:serviceaccount:team-a:dr", false},
		{"the controller in its own namespace", plan("drctl-system", ""), own, "", false},
		{"refused elsewhere", plan("team-a", ""), own, "", true},
		{"the controller when allowed", plan("team-a", ""), Options{SystemNamespace: "drctl-system", AllowControllerIdentity: true}, "", false},
	}
	for _, c := range cases {
		user, err := runAs(c.plan, c.opts)
		assert.Equal(t, c.user, user, c.name)
		if c.refused {
			require.Error(t, err, c.name)
			assert.Contains(t, err.Error(), "set spec.serviceAccountName on DRPlan team-a/p", c.name)
		} else {
			assert.NoError(t, err, c.name)
		}
	}
}

// A plan that names a ServiceAccount acts as it: what the account may do succeeds, what it may
// not fails with the API server's Forbidden — the controller's own rights do not leak into it.
func TestAPlanActsAsItsServiceAccount(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	require.NoError(t, f.client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: "dr-runner"}}))
	require.NoError(t, f.client.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: "configmaps"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}}))
	require.NoError(t, f.client.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: "dr-runner"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "configmaps"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "dr-runner", Namespace: f.namespace}}}))
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w1}
spec:
  actions:
  - name: allowed
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: failover-marker}
  - name: forbidden
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: Secret
        metadata: {name: stolen}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: bounded}
spec:
  serviceAccountName: dr-runner
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}]}
---
` + executionOf("bounded-1", "bounded"))

	got := f.awaitPhase("bounded-1", v1alpha1.PhaseFailed, 30*time.Second)
	actions := got.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses
	assert.Equal(t, v1alpha1.PhaseSucceeded, actions[0].Phase, actions[0].Message)
	assert.Equal(t, v1alpha1.PhaseFailed, actions[1].Phase)
	assert.Contains(t, actions[1].Message, "forbidden")
	assert.Contains(t, actions[1].Message, "system:serviceaccount:"+f.namespace+":dr-runner")
	require.NoError(t, f.client.Get(ctx, key(f.namespace, "failover-marker"), &corev1.ConfigMap{}))
	assert.Error(t, f.client.Get(ctx, key(f.namespace, "stolen"), &corev1.Secret{}), "the Secret was not created with the controller's rights")
}

// A plan naming a ServiceAccount that does not exist (yet: it may be applied with the plan) waits,
// saying so, instead of failing at the first action the missing account may not perform; it runs
// once the account exists.
func TestAPlanWaitsForItsServiceAccount(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, 0)
	f.apply(httpWorkflow("w1", tg.URL, "a") + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: later}
spec:
  serviceAccountName: late
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}]}
---
` + executionOf("later-1", "later"))
	got := f.awaitPhase("later-1", v1alpha1.PhasePending, 20*time.Second)
	assert.Contains(t, got.Status.Message, "waiting: ServiceAccount "+f.namespace+"/late, which runs of plan later act as, does not exist")
	assert.Empty(t, tg.requests())
	require.NoError(t, f.client.Create(f.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: f.namespace, Name: "late"}}))
	f.awaitPhase("later-1", v1alpha1.PhaseSucceeded, 30*time.Second) // an HTTP call needs no rights in the cluster
	assert.Equal(t, []string{"/w1/a"}, tg.requests())
}
