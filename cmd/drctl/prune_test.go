package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
)

// history prune on the real API server keeps what it must: the newest, the plan's last
// success, what has not ended, what a revert refers to; and deletes the rest.
func TestHistoryPruneKeepsWhatItMust(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	create(t, c, ns, planYAMLs(srv.URL))
	k := []string{"--kubeconfig", kubeconfig, "-n", ns}
	code, out, errOut := drctl(t, "", append([]string{"execute", "web-failover", "--name", "run-a"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	time.Sleep(1100 * time.Millisecond) // creation times have seconds: run-a is the oldest
	for _, args := range [][]string{
		{"revert", "run-a", "--name", "undo-a"},
		{"execute", "web-failover", "--name", "run-b"},
		{"execute", "web-failover", "--name", "run-c", "-p", "target=broken-but-fine"},
		{"execute", "web-failover", "--name", "run-d"},
	} {
		code, out, errOut := drctl(t, "", append(args, k...)...)
		require.Equal(t, 0, code, "%v\n%s%s", args, out, errOut)
	}
	// Applied for drctl serve, which is not running: it stays Pending.
	require.NoError(t, c.Create(ctx, &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: "run-pending", Namespace: ns, Labels: engine.ExecutionLabels("web-failover", v1alpha1.OperationExecute)},
		Spec:       v1alpha1.DRPlanExecutionSpec{PlanRef: "web-failover", OperationType: v1alpha1.OperationExecute}}))
	remaining := func() []string {
		list := &v1alpha1.DRPlanExecutionList{}
		require.NoError(t, c.List(ctx, list, client.InNamespace(ns)))
		var names []string
		for _, e := range list.Items {
			names = append(names, e.Name)
		}
		return names
	}

	code, out, errOut = drctl(t, "", append([]string{"history", "prune", "web-failover", "--keep", "0", "--dry-run"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "keep run-pending: it has not ended (Pending)")
	assert.Contains(t, out, "keep run-d: the plan's last successful execution")
	for _, name := range []string{"run-c", "run-b", "undo-a", "run-a"} {
		assert.Contains(t, out, "would delete "+name+"\n")
	}
	assert.Len(t, remaining(), 6, "a dry run deletes nothing")

	// The newest five are kept, and so is run-a, the sixth: the kept undo-a reverted it.
	code, out, errOut = drctl(t, "", append([]string{"history", "prune", "web-failover", "--keep", "5"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	assert.Equal(t, "nothing to prune: 6 executions of "+ns+"/web-failover, all kept\n", out)
	assert.Len(t, remaining(), 6)

	code, out, errOut = drctl(t, "", append([]string{"history", "prune", "web-failover", "--keep", "0"}, k...)...)
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "drplanexecution.dr.bkbcs.tencent.com/run-b deleted\n")
	assert.Contains(t, out, "4 deleted, 2 kept\n")
	assert.ElementsMatch(t, []string{"run-pending", "run-d"}, remaining())
}
