package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// A drill executes and always reverts: after a success, a failure, Ctrl-C, and a missed RTO.
func TestDrillAlwaysReverts(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	ctx := context.Background()
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/check/broken":
			w.WriteHeader(http.StatusForbidden)
		case "/check/slow":
			arrived <- struct{}{}
			time.Sleep(time.Second)
		}
	}))
	defer srv.Close()
	create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: standby}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - name: config
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: drilled}
        data: {primary: "$(params.target)"}
  - name: check
    type: HTTP
    http: {url: "%[1]s/check/$(params.target)"}
  - name: announce
    type: HTTP
    http: {url: "%[1]s/announce", method: POST}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover}
spec:
  globalParams: [{name: target, value: standby}]
  stages: [{name: switch, workflows: [{workflowRef: {name: standby}}]}]
`, srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns, "--progress", "plain"}
	configMapGone := func(t *testing.T) {
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "drilled"}, &corev1.ConfigMap{})
		assert.True(t, apierrors.IsNotFound(err), "the revert deleted what the execute created: %v", err)
	}
	// drillPair is the Execute and the Revert of the drill whose output is out, found by the
	// label they share.
	drillPair := func(t *testing.T, out string) (execute, revert *v1alpha1.DRPlanExecution) {
		m := regexp.MustCompile(`drill (\S+): execution `).FindStringSubmatch(out)
		require.NotNil(t, m, "the drill names itself: %s", out)
		list := &v1alpha1.DRPlanExecutionList{}
		require.NoError(t, c.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{engine.LabelDrill: m[1]}))
		require.Len(t, list.Items, 2, "an Execute and its Revert")
		for i := range list.Items {
			e := &list.Items[i]
			if e.Spec.OperationType == v1alpha1.OperationRevert {
				revert = e
			} else {
				execute = e
			}
		}
		require.NotNil(t, execute, "the drill's Execute carries the label")
		require.NotNil(t, revert, "the drill's Revert carries the same label")
		assert.Equal(t, execute.Name, revert.Spec.RevertExecutionRef)
		assert.Equal(t, v1alpha1.PhaseSucceeded, revert.Status.Phase)
		return execute, revert
	}

	t.Run("success within the RTO", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"drill", "failover", "--rto", "1h"}, k...)...)
		require.Equal(t, 0, code, out+errOut)
		execute, _ := drillPair(t, out)
		assert.Equal(t, v1alpha1.PhaseSucceeded, execute.Status.Phase)
		assert.Regexp(t, `drill \S+: execution `+execute.Name+` Succeeded, recovery time \S+, RTO 1h0m0s met\n  stage switch\s+Succeeded\s+\S+\n`, out)
		// The HTTP calls have no rollback: the drill says they stay.
		assert.Regexp(t, `these actions have no rollback, so what they did stays:\n  not undone: switch/standby/announce \(Skipped\) .*\n  not undone: switch/standby/check \(Skipped\)`, errOut)
		configMapGone(t)
	})

	t.Run("a failed execute is reverted", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"drill", "failover", "-p", "target=broken"}, k...)...)
		require.Equal(t, 1, code, out+errOut)
		execute, _ := drillPair(t, out)
		assert.Equal(t, v1alpha1.PhaseFailed, execute.Status.Phase)
		assert.Contains(t, errOut, "the execute ended Failed; the revert ran (Succeeded)")
		assert.Contains(t, out, "earlier successful runs (newest first): ", "the first drill's execute is history")
		configMapGone(t)
	})

	t.Run("Ctrl-C cancels the execute, which is reverted", func(t *testing.T) {
		streams, _, out, errOut := iostreams.Test()
		interrupts := make(chan os.Signal, 2)
		go func() {
			<-arrived
			interrupts <- syscall.SIGINT
		}()
		code := runWithSignals(ctx, streams, append([]string{"drill", "failover", "-p", "target=slow"}, k...), interrupts)
		require.Equal(t, 4, code, out.String()+errOut.String())
		execute, _ := drillPair(t, out.String())
		assert.Equal(t, v1alpha1.PhaseCanceled, execute.Status.Phase)
		assert.Contains(t, errOut.String(), "the execute ended Canceled; the revert ran (Succeeded)")
		configMapGone(t)
	})

	t.Run("a missed RTO fails the drill, reverted all the same", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"drill", "failover", "--rto", "1ms"}, k...)...)
		require.Equal(t, 1, code, out+errOut)
		assert.Contains(t, out, "RTO 1ms MISSED")
		assert.Contains(t, errOut, "over the RTO of 1ms (the revert ran all the same)")
		drillPair(t, out)
		configMapGone(t)
	})
}
