package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/jobsim"
	"github.com/drctl/drctl/internal/testenv"
	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// completeJobs plays the job controller for a namespace until ctx ends.
func completeJobs(ctx context.Context, c client.Client, ns string) {
	jobsim.CompleteAll(ctx, c, 100*time.Millisecond, 0, nil, ns)
}

// TestRollbackTable runs one row of the specification's rollback table per subtest: the forward
// action, then a revert, then what is left in the cluster and in the Revert's record.
func TestRollbackTable(t *testing.T) {
	testenv.SharedDir(t, "clusternet", "crds")
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go completeJobs(ctx, f.client, f.namespace)
	ns := f.namespace

	custom := func(row string) string {
		return fmt.Sprintf("    rollback: {type: HTTP, http: {url: %q, method: POST}}\n", srv.URL+"/undo/"+row)
	}
	localization := func(op, name string) string {
		return fmt.Sprintf("    type: Localization\n    localization:\n      operation: %s\n      name: %s\n      namespace: %s\n      spec: {overridePolicy: ApplyNow, feed: {apiVersion: apps/v1, kind: Deployment, name: web}, priority: 600}\n", op, name, ns)
	}
	subscription := func(op, name string) string {
		return fmt.Sprintf("    type: Subscription\n    subscription:\n      operation: %s\n      name: %s\n      spec: {feeds: [{apiVersion: v1, kind: ConfigMap, name: web, namespace: %s}], subscribers: [{clusterAffinity: {matchLabels: {env: dr}}}]}\n", op, name, ns)
	}
	resource := func(op, name, value string) string {
		return fmt.Sprintf("    type: KubernetesResource\n    resource:\n      operation: %s\n      manifest: |\n        apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: %s}\n        data: {v: %q}\n", op, name, value)
	}
	job := "    type: Job\n    job: {template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}\n"
	http := fmt.Sprintf("    type: HTTP\n    http: {url: %q}\n", srv.URL+"/forward")

	loc := func(name string) client.Object {
		return &clusternetv1alpha1.Localization{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: clusternetv1alpha1.LocalizationSpec{Priority: 100, Feed: &clusternetv1alpha1.Feed{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}}}
	}
	sub := func(name string) client.Object {
		return &clusternetv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: clusternetv1alpha1.SubscriptionSpec{Feeds: []clusternetv1alpha1.Feed{{APIVersion: "v1", Kind: "ConfigMap", Name: "x"}},
				Subscribers: []clusternetv1alpha1.Subscriber{{ClusterAffinity: &metav1.LabelSelector{}}}}}
	}
	cm := func(name, v string) client.Object {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"v": v}}
	}
	exists := func(obj client.Object) bool {
		err := f.client.Get(f.ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return false
		}
		require.NoError(t, err)
		return obj.GetDeletionTimestamp() == nil
	}

	for _, row := range []struct {
		name     string
		action   string
		existing client.Object
		revert   v1alpha1.ExecutionPhase
		message  string
		after    func(t *testing.T)
	}{
		{name: "loc-create-auto", action: localization("Create", "l1"), revert: v1alpha1.PhaseSucceeded,
			after: func(t *testing.T) { assert.False(t, exists(loc("l1")), "the Localization is deleted") }},
		{name: "loc-create-custom", action: localization("Create", "l2") + custom("loc-create-custom"), revert: v1alpha1.PhaseSucceeded,
			after: func(t *testing.T) { assert.True(t, exists(loc("l2")), "a custom rollback replaces the automatic one") }},
		{name: "loc-patch-custom", action: localization("Patch", "l3") + custom("loc-patch-custom"), existing: loc("l3"), revert: v1alpha1.PhaseSucceeded},
		{name: "loc-delete-none", action: localization("Delete", "l4"), existing: loc("l4"), revert: v1alpha1.PhaseSkipped, message: "a Delete of a Localization has no automatic rollback"},
		{name: "loc-delete-custom", action: localization("Delete", "l5") + custom("loc-delete-custom"), existing: loc("l5"), revert: v1alpha1.PhaseSucceeded},
		{name: "sub-create-auto", action: subscription("Create", "s1"), revert: v1alpha1.PhaseSucceeded,
			after: func(t *testing.T) { assert.False(t, exists(sub("s1"))) }},
		{name: "sub-create-custom", action: subscription("Create", "s2") + custom("sub-create-custom"), revert: v1alpha1.PhaseSucceeded},
		{name: "sub-patch-custom", action: subscription("Patch", "s3") + custom("sub-patch-custom"), existing: sub("s3"), revert: v1alpha1.PhaseSucceeded},
		{name: "sub-delete-none", action: subscription("Delete", "s4"), existing: sub("s4"), revert: v1alpha1.PhaseSkipped, message: "a Delete of a Subscription has no automatic rollback"},
		{name: "sub-delete-custom", action: subscription("Delete", "s5") + custom("sub-delete-custom"), existing: sub("s5"), revert: v1alpha1.PhaseSucceeded},
		{name: "res-create-auto", action: resource("Create", "c1", "new"), revert: v1alpha1.PhaseSucceeded,
			after: func(t *testing.T) { assert.False(t, exists(cm("c1", ""))) }},
		{name: "res-create-custom", action: resource("Create", "c2", "new") + custom("res-create-custom"), revert: v1alpha1.PhaseSucceeded},
		{name: "res-patch-restores", action: resource("Patch", "c3", "patched") + "    rollback:\n" + strings.ReplaceAll(resource("Patch", "c3", "original"), "    ", "      "),
			existing: cm("c3", "original"), revert: v1alpha1.PhaseSucceeded,
			after: func(t *testing.T) {
				got := cm("c3", "").(*corev1.ConfigMap)
				require.True(t, exists(got))
				assert.Equal(t, "original", got.Data["v"], "the custom rollback restored the old value")
			}},
		{name: "res-delete-none", action: resource("Delete", "c4", ""), existing: cm("c4", "x"), revert: v1alpha1.PhaseSkipped, message: "a Delete has no automatic rollback"},
		{name: "res-delete-custom", action: resource("Delete", "c5", "") + custom("res-delete-custom"), existing: cm("c5", "x"), revert: v1alpha1.PhaseSucceeded},
		{name: "job-auto", action: job, revert: v1alpha1.PhaseSucceeded},
		{name: "job-custom", action: job + custom("job-custom"), revert: v1alpha1.PhaseSucceeded},
		{name: "http-none", action: http, revert: v1alpha1.PhaseSkipped, message: "HTTP actions have no automatic rollback"},
		{name: "http-custom", action: http + custom("http-custom"), revert: v1alpha1.PhaseSucceeded},
	} {
		t.Run(row.name, func(t *testing.T) {
			if row.existing != nil {
				require.NoError(t, f.client.Create(f.ctx, row.existing))
			}
			f.apply(fmt.Sprintf("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: %[1]s}\nspec:\n  actions:\n  - name: act\n%[2]s---\napiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: {name: %[1]s}\nspec:\n  stages: [{name: s, workflows: [{workflowRef: {name: %[1]s}}]}]\n", row.name, row.action))
			res := f.execute(row.name)
			require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
			rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: ns, Target: res.Execution.Name})
			require.NoError(t, err)
			require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
			a := actionStatus(f.execution(rev.Execution.Name), "s", row.name, "act")
			assert.Equal(t, row.revert, a.Phase, a.Message)
			if row.message != "" {
				assert.Contains(t, a.Message, row.message)
			}
			if strings.Contains(row.action, "/undo/"+row.name) {
				assert.Equal(t, 1, h.count("/undo/"+row.name), "the custom rollback ran")
			}
			if strings.HasPrefix(row.name, "job-auto") {
				fwd := f.execution(res.Execution.Name)
				ref := actionStatus(fwd, "s", row.name, "act").Outputs.JobRef
				assert.True(t, apierrors.IsNotFound(f.client.Get(f.ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &batchv1.Job{})), "the Job is deleted")
			}
			if row.after != nil {
				row.after(t)
			}
		})
	}
}
