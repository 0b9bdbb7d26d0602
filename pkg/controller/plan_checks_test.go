package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// serve checks every plan on a schedule and says in its Checked condition what would fail a run:
// here a namespace that does not exist, until it is created.
func TestServeChecksPlansOnASchedule(t *testing.T) {
	f := newFixture(t)
	elsewhere := f.namespace + "-standby"
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: standby}
spec:
  actions:
  - name: config
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: primary, namespace: ` + elsewhere + `}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover}
spec:
  stages: [{name: switch, workflows: [{workflowRef: {name: standby}}]}]
`)
	checked := func() *metav1.Condition {
		plan := &v1alpha1.DRPlan{}
		require.NoError(t, f.client.Get(f.ctx, client.ObjectKey{Namespace: f.namespace, Name: "failover"}, plan))
		return meta.FindStatusCondition(plan.Status.Conditions, ConditionChecked)
	}
	var cond *metav1.Condition
	require.Eventually(t, func() bool { cond = checked(); return cond != nil }, 30*time.Second, 200*time.Millisecond, "a Checked condition")
	assert.Equal(t, metav1.ConditionFalse, cond.Status)
	assert.Equal(t, ReasonCheckFailed, cond.Reason)
	assert.Contains(t, cond.Message, "switch/standby/config namespace: namespace "+elsewhere+" does not exist")
	assert.True(t, strings.HasSuffix(cond.Message, "(drctl check failover -n "+f.namespace+" shows them all)"), cond.Message)

	require.NoError(t, f.client.Create(f.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: elsewhere}}))
	require.Eventually(t, func() bool { cond = checked(); return cond.Status == metav1.ConditionTrue }, 30*time.Second, 200*time.Millisecond,
		"the next check passes: %v", cond)
	assert.Equal(t, ReasonCheckPassed, cond.Reason)
	assert.Contains(t, cond.Message, "checks passed")

	// A plan that leaves a required parameter unset cannot run: Failed, saying why.
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: parameterised}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - {name: call, type: HTTP, http: {url: "http://127.0.0.1:1/$(params.target)"}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: needs-params}
spec:
  stages: [{name: all, workflows: [{workflowRef: {name: parameterised}}]}]
`)
	require.Eventually(t, func() bool {
		plan := &v1alpha1.DRPlan{}
		require.NoError(t, f.client.Get(f.ctx, client.ObjectKey{Namespace: f.namespace, Name: "needs-params"}, plan))
		cond = meta.FindStatusCondition(plan.Status.Conditions, ConditionChecked)
		return cond != nil
	}, 30*time.Second, 200*time.Millisecond)
	assert.Equal(t, metav1.ConditionFalse, cond.Status)
	assert.Equal(t, ReasonCheckFailed, cond.Reason)
	assert.Contains(t, cond.Message, `workflow parameterised requires parameter "target"`)
}
