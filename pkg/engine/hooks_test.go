package engine

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// hookPlan is a workflow generated from a Helm chart's hooks: one action of its own, and a hook
// for each lifecycle.
func hookPlan(url string) string {
	hook := func(t string) string {
		return fmt.Sprintf("  - {name: %[1]s-hook, hookType: %[1]s, type: HTTP, http: {url: %q}}\n", t, url+"/"+t)
	}
	return `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
` + hook("pre-install") + hook("pre-upgrade") + hook("pre-delete") + hook("pre-rollback") +
		fmt.Sprintf("  - {name: deploy, type: HTTP, http: {url: %q}, rollback: {type: HTTP, http: {url: %q}}}\n", url+"/deploy", url+"/undeploy") +
		hook("post-install") + hook("post-upgrade") + hook("post-delete") + hook("post-rollback") + `` + appPlan
}

// Hooks run in their lifecycle only: install hooks around an Install, rollback hooks around a
// Revert, delete hooks around a Delete-mode run; a run without a mode is refused.
func TestHooksRunInTheirLifecycle(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(hookPlan(srv.URL))

	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "app"})
	var invalid *InvalidError
	require.True(t, errors.As(err, &invalid), "%v", err)
	assert.Contains(t, err.Error(), "stage s, action pre-install-hook: a pre-install hook runs in its lifecycle's mode, and the execution has none")
	assert.Empty(t, h.list())

	install := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeInstall })
	require.Equal(t, v1alpha1.PhaseSucceeded, install.Phase, install.Message)
	assert.Equal(t, []string{"/pre-install", "/deploy", "/post-install"}, h.list())
	up := actionStatus(f.execution(install.Execution.Name), "s", "app", "pre-upgrade-hook")
	assert.Equal(t, v1alpha1.PhaseSkipped, up.Phase)
	assert.Equal(t, "skipped: a pre-upgrade hook, and the execution's mode is Install", up.Message)

	h.reset()
	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: install.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, []string{"/pre-rollback", "/undeploy", "/post-rollback"}, h.list(), "rollback hooks run around the workflow's revert; hooks are not undone")

	h.reset()
	del := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeDelete })
	require.Equal(t, v1alpha1.PhaseSucceeded, del.Phase, del.Message)
	assert.Equal(t, []string{"/pre-delete", "/post-delete"}, h.list(), "an HTTP call has nothing Delete mode can delete")
	deploy := actionStatus(f.execution(del.Execution.Name), "s", "app", "deploy")
	assert.Equal(t, "skipped: Delete mode deletes what the plan creates, and HTTP actions make no object that can be deleted by name", deploy.Message)
}

func (h *hits) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.times, h.paths = nil, nil
}

// hookCleanup follows Helm's hook delete policies: beforeCreate replaces the previous run's hook
// resource, onSuccess and onFailure delete the hook's own once it has ended.
func TestHookCleanup(t *testing.T) {
	f := newFixture(t)
	ns := f.namespace
	previous := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "migrate"}, Data: map[string]string{"run": "previous"}}
	require.NoError(t, f.client.Create(f.ctx, previous))
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  failurePolicy: Continue
  actions:
  - name: migrate
    hookType: pre-install
    hookCleanup: {beforeCreate: true}
    type: KubernetesResource
    resource:
      manifest: |
        {apiVersion: v1, kind: ConfigMap, metadata: {name: migrate}, data: {run: this}}
  - name: notify
    hookType: post-install
    hookCleanup: {onSuccess: true}
    type: KubernetesResource
    resource:
      manifest: |
        {apiVersion: v1, kind: ConfigMap, metadata: {name: notify}}
  - name: verify
    hookType: post-install
    hookCleanup: {onFailure: true}
    type: Subscription
    waitReady: true
    timeout: 2s
    retryPolicy: {limit: 0}
    subscription:
      name: verify
      namespace: %s
      spec: {feeds: [{apiVersion: v1, kind: ConfigMap, name: x, namespace: %s}], subscribers: [{clusterAffinity: {}}]}
`+appPlan, ns, ns))
	res := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeInstall })
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, "verify never gets ready")
	exec := f.execution(res.Execution.Name)

	cm := &corev1.ConfigMap{}
	require.NoError(t, f.client.Get(f.ctx, client.ObjectKey{Namespace: ns, Name: "migrate"}, cm))
	assert.Equal(t, "this", cm.Data["run"], "beforeCreate replaced the previous run's hook resource")
	assert.NotEqual(t, previous.UID, cm.UID)

	notify := actionStatus(exec, "s", "app", "notify")
	assert.Equal(t, v1alpha1.PhaseSucceeded, notify.Phase)
	assert.Contains(t, notify.Message, "; hookCleanup.onSuccess: deleted configmap "+ns+"/notify")
	assert.True(t, apierrors.IsNotFound(f.client.Get(f.ctx, client.ObjectKey{Namespace: ns, Name: "notify"}, &corev1.ConfigMap{})))

	verify := actionStatus(exec, "s", "app", "verify")
	assert.Equal(t, v1alpha1.PhaseFailed, verify.Phase)
	assert.Contains(t, verify.Message, "is not ready when the action's timeout ends: it is not bound to any cluster yet")
	assert.Contains(t, verify.Message, "; hookCleanup.onFailure: deletion of subscription "+ns+"/verify accepted")
	assert.True(t, apierrors.IsNotFound(f.client.Get(f.ctx, client.ObjectKey{Namespace: ns, Name: "verify"}, &clusternetv1alpha1.Subscription{})))
}
