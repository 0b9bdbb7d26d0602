package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// snapshot returns the objects of the kinds a plan touches in ns, without the fields the API
// server maintains, as comparable YAML.
func snapshot(t *testing.T, c client.Client, ns string) []string {
	t.Helper()
	var out []string
	for _, gvk := range []string{"v1/ConfigMapList", "v1/ServiceList", "batch/v1/JobList", "apps.clusternet.io/v1alpha1/LocalizationList", "apps.clusternet.io/v1alpha1/SubscriptionList"} {
		list := &unstructured.UnstructuredList{}
		apiVersion, kind := gvk[:len(gvk)-len("/"+lastSegment(gvk))], lastSegment(gvk)
		list.SetAPIVersion(apiVersion)
		list.SetKind(kind)
		require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns)))
		for _, item := range list.Items {
			unstructured.RemoveNestedField(item.Object, "metadata", "resourceVersion")
			unstructured.RemoveNestedField(item.Object, "metadata", "managedFields")
			unstructured.RemoveNestedField(item.Object, "metadata", "generation")
			data, err := yaml.Marshal(item.Object)
			require.NoError(t, err)
			out = append(out, string(data))
		}
	}
	slices.Sort(out)
	return out
}

func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// TestAllFiveTypesRunAndRevertToAnIdenticalCluster runs a plan with every seed action type and
// reverts it; the objects afterwards equal the objects before, field for field (uids included:
// what existed was never deleted and recreated).
func TestAllFiveTypesRunAndRevertToAnIdenticalCluster(t *testing.T) {
	testenv.SharedDir(t, "clusternet", "crds")
	f := newFixture(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go completeJobs(ctx, f.client, f.namespace)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ns := f.namespace
	require.NoError(t, f.client.Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "routing", Namespace: ns}, Data: map[string]string{"primary": "cluster-a"}}))
	require.NoError(t, f.client.Create(f.ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 3306}}, Selector: map[string]string{"role": "primary"}}}))
	before := snapshot(t, f.client, ns)

	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: everything}
spec:
  parameters: [{name: target, default: cluster-b}]
  actions:
  - name: announce
    type: HTTP
    http: {url: "%[1]s/announce", method: POST, body: '{"to": "$(params.target)"}'}
    rollback: {type: HTTP, http: {url: "%[1]s/announce-revert", method: POST}}
  - name: promote
    type: Job
    job: {template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: p, image: busybox, args: ["$(params.target)"]}]}}}}}
  - name: flip-routing
    type: KubernetesResource
    resource:
      operation: Patch
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: routing}
        data: {primary: $(params.target)}
    rollback:
      type: KubernetesResource
      resource:
        operation: Patch
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: routing}
          data: {primary: cluster-a}
  - name: repoint-db
    type: KubernetesResource
    resource:
      operation: Patch
      patchType: Strategic
      manifest: |
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec: {selector: {role: replica}}
    rollback:
      type: KubernetesResource
      resource:
        operation: Patch
        patchType: Strategic
        manifest: |
          apiVersion: v1
          kind: Service
          metadata: {name: db}
          spec: {selector: {role: primary}}
  - name: record
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: failover-record}
        data: {run: $(executionName)}
  - name: scale-target
    type: Localization
    localization:
      name: web-dr
      namespace: %[2]s
      spec: {overridePolicy: ApplyNow, feed: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: %[2]s}, overrides: [{name: r, type: MergePatch, value: '{"spec":{"replicas":5}}'}]}
  - name: distribute
    type: Subscription
    subscription:
      name: web
      spec: {feeds: [{apiVersion: apps/v1, kind: Deployment, name: web, namespace: %[2]s}], subscribers: [{clusterAffinity: {matchLabels: {cluster: $(params.target)}}}]}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: everything}
spec:
  stages: [{name: all, workflows: [{workflowRef: {name: everything}}]}]
`, srv.URL, ns))
	res := f.execute("everything")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	during := snapshot(t, f.client, ns)
	assert.NotEqual(t, before, during, "the run changed the cluster")
	assert.Len(t, during, len(before)+4, "a Job, a ConfigMap, a Localization and a Subscription were created")

	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: ns, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, before, snapshot(t, f.client, ns), "the revert leaves the cluster as it found it")
}
