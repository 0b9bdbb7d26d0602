package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	clusternetv1alpha1 "github.com/drctl/drctl/pkg/crd/clusternet/v1alpha1"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// The upstream controller's example install plan (two Localization workflows, then a
// Subscription), unchanged but for its namespaces, runs in every mode: Install and Upgrade create
// the objects, Delete infers their deletes and runs them in reverse order, a Revert of the
// Upgrade deletes what it made, and a Revert of the Delete run has nothing it can undo.
func TestUpstreamInstallPlanInEveryMode(t *testing.T) {
	dir := testenv.SharedDir(t, "upstream", "example-install")
	f := newFixture(t)
	ns := f.namespace
	clusterA, clusterB := ns+"-cluster-a", ns+"-cluster-b"
	for _, n := range []string{clusterA, clusterB} {
		require.NoError(t, f.client.Create(f.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}))
	}
	var docs []string
	for _, file := range []string{"workflow-localization-cluster-a.yaml", "workflow-localization-cluster-b.yaml", "workflow-subscription.yaml", "drplan.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		doc := strings.NewReplacer("clusternet-cluster-a", clusterA, "clusternet-cluster-b", clusterB, "namespace: default", "namespace: "+ns, `"default"`, `"`+ns+`"`).Replace(string(data))
		docs = append(docs, doc)
	}
	f.apply(strings.Join(docs, "\n---\n"))

	objects := func() []string {
		var out []string
		for _, n := range []string{clusterA, clusterB} {
			locs := &clusternetv1alpha1.LocalizationList{}
			require.NoError(t, f.client.List(f.ctx, locs, client.InNamespace(n)))
			for _, l := range locs.Items {
				if l.DeletionTimestamp == nil {
					out = append(out, "Localization "+strings.TrimPrefix(n, ns+"-")+"/"+l.Name)
				}
			}
		}
		subs := &clusternetv1alpha1.SubscriptionList{}
		require.NoError(t, f.client.List(f.ctx, subs, client.InNamespace(ns)))
		for _, s := range subs.Items {
			if s.DeletionTimestamp == nil {
				out = append(out, "Subscription "+s.Name)
			}
		}
		return out
	}
	installed := []string{
		"Localization cluster-a/nginx-config-overrides-cluster-a", "Localization cluster-a/nginx-overrides-cluster-a",
		"Localization cluster-b/nginx-config-overrides-cluster-b", "Localization cluster-b/nginx-overrides-cluster-b",
		"Subscription nginx-subscription",
	}
	mode := func(m v1alpha1.ExecutionMode) func(*ExecuteOptions) { return func(o *ExecuteOptions) { o.Mode = m } }

	install := f.execute("nginx-install-plan", mode(v1alpha1.ModeInstall))
	require.Equal(t, v1alpha1.PhaseSucceeded, install.Phase, install.Message)
	assert.ElementsMatch(t, installed, objects())

	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: ns, Plan: "nginx-install-plan", Mode: v1alpha1.ModeDelete})
	require.NoError(t, err)
	require.Len(t, planned, 5)
	assert.Equal(t, "deploy-subscription", planned[0].Stage, "the dry run lists stages in the order they run")
	assert.Equal(t, "Delete mode: deletes what action create-nginx-subscription creates", planned[0].Condition)
	assert.Equal(t, v1alpha1.ClusternetOperation(v1alpha1.OperationDelete), planned[1].Action.Localization.Operation)

	del := f.execute("nginx-install-plan", mode(v1alpha1.ModeDelete))
	require.Equal(t, v1alpha1.PhaseSucceeded, del.Phase, del.Message)
	assert.Empty(t, objects(), "Delete mode deleted what the plan creates")
	rec := f.execution(del.Execution.Name)
	assert.Equal(t, []string{
		"localize/nginx-localization-cluster-b/create-localization-cluster-b-config=Succeeded",
		"localize/nginx-localization-cluster-b/create-localization-cluster-b=Succeeded",
		"localize/nginx-localization-cluster-a/create-localization-cluster-a-config=Succeeded",
		"localize/nginx-localization-cluster-a/create-localization-cluster-a=Succeeded",
		"deploy-subscription/nginx-install-subscription/create-nginx-subscription=Succeeded",
	}, actionPhases(rec), "a stage's workflows, and each workflow's actions, in reverse")
	st := rec.Status.StageStatuses
	assert.Equal(t, []string{"deploy-subscription"}, st[0].DependsOn, "the stages run in reverse: localize waits for deploy-subscription")
	assert.False(t, st[0].StartTime.Before(st[1].CompletionTime), "localize started before the Subscription was deleted")

	undoDelete, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: ns, Target: del.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, undoDelete.Phase, undoDelete.Message)
	a := actionStatus(f.execution(undoDelete.Execution.Name), "deploy-subscription", "nginx-install-subscription", "create-nginx-subscription")
	assert.Equal(t, v1alpha1.PhaseSkipped, a.Phase)
	assert.Contains(t, a.Message, "Delete mode deleted what this action creates")
	assert.Empty(t, objects())

	upgrade := f.execute("nginx-install-plan", mode(v1alpha1.ModeUpgrade))
	require.Equal(t, v1alpha1.PhaseSucceeded, upgrade.Phase, upgrade.Message)
	assert.ElementsMatch(t, installed, objects(), "the plan has no when: Upgrade runs every action")

	undo, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: ns, Target: upgrade.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, undo.Phase, undo.Message)
	assert.Empty(t, objects(), "the revert deleted what the upgrade created")
}
