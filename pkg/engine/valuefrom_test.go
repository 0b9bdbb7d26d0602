package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// TestValueFromReadsTheClusterBeforeTheFirstAction: a parameter's valueFrom.manifestRef is read
// (by name, or by label selector and select rule) and snapshotted with the other parameters.
func TestValueFromReadsTheClusterBeforeTheFirstAction(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	require.NoError(t, f.client.Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "topology", Namespace: f.namespace},
		Data: map[string]string{"standby": "cluster-c"}}))
	for _, name := range []string{"release-1", "release-2"} {
		require.NoError(t, f.client.Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.namespace,
			Labels: map[string]string{"app": "shop"}}, Data: map[string]string{"version": name}}))
	}
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w}
spec:
  parameters: [{name: target}, {name: version}]
  actions:
  - name: call
    type: HTTP
    http: {url: "%s/$(params.target)/$(params.version)"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: dynamic}
spec:
  globalParams:
  - name: target
    valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: topology, jsonPath: "{.data.standby}"}}
  - name: version
    valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, labelSelector: app=shop, select: First, jsonPath: "{.metadata.name}"}}
  stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`, srv.URL))
	res := f.execute("dynamic")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/cluster-c/release-1"}, h.list())
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, "cluster-c", exec.Status.ResolvedParams["target"], "the value read is part of the snapshot")

	// Single with two matches fails before anything runs.
	plan := f.plan("dynamic")
	plan.Spec.GlobalParams[1].ValueFrom.ManifestRef.Select = v1alpha1.ManifestSelectSingle
	require.NoError(t, f.client.Update(f.ctx, plan))
	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "dynamic"})
	require.True(t, IsInvalid(err), "%v", err)
	assert.Contains(t, err.Error(), "2 objects match, select Single wants exactly one")
	assert.Len(t, h.list(), 1)
}

// A workflow's own parameter declaration may read its value from the cluster (valueFrom), as a
// plan's may: it is the weakest layer, read only when no plan, stage or execution supplies the
// parameter — an object that a supplied value makes irrelevant is never read.
func TestAWorkflowDeclarationReadsItsValueFromTheCluster(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	require.NoError(t, f.client.Create(f.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "topology", Namespace: f.namespace},
		Data: map[string]string{"standby": "cluster-c"}}))
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w}
spec:
  parameters:
  - name: target
    valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: topology, jsonPath: "{.data.standby}"}}
  - name: region
    default: eu
    valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: nowhere, jsonPath: "{.data.region}"}}
  actions:
  - name: call
    type: HTTP
    http: {url: "%s/$(params.target)/$(params.region)"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: declared}
spec:
  globalParams: [{name: region, value: us}]
  stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`, srv.URL))
	res := f.execute("declared")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/cluster-c/us"}, h.list(), "target read from the cluster; region supplied by the plan, its valueFrom never read")
	w := f.execution(res.Execution.Name).Status.StageStatuses[0].WorkflowExecutions[0]
	assert.Equal(t, "cluster-c", w.ResolvedParams["target"], "the value read is part of the snapshot")

	// Nothing supplies it and the object is not there: the run is refused before anything runs.
	plan := f.plan("declared")
	plan.Spec.GlobalParams = nil
	require.NoError(t, f.client.Update(f.ctx, plan))
	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "declared"})
	require.True(t, IsInvalid(err), "%v", err)
	assert.Contains(t, err.Error(), `parameter "region": valueFrom: get ConfigMap `+f.namespace+`/nowhere`)
	assert.Len(t, h.list(), 1)
}
