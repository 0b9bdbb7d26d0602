package execute

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

func action(t *testing.T, doc string) *v1alpha1.Action {
	t.Helper()
	a := &v1alpha1.Action{}
	require.NoError(t, yaml.UnmarshalStrict([]byte(doc), a))
	return a
}

// plannedRun is a dry run of two stages: an HTTP call with a custom rollback, a manifest applied
// in another namespace, and an action its condition skips.
func plannedRun(t *testing.T) []engine.PlannedAction {
	return []engine.PlannedAction{
		{Stage: "db", Workflow: "mysql(role=primary)", AskOnFailure: true, Action: action(t, "name: promote\ntype: HTTP\nhttp: {url: 'https://db.example.com/promote', method: POST}"),
			Rollback: action(t, "name: demote\ntype: HTTP\nhttp: {url: 'https://db.example.com/demote', method: POST}")},
		{Stage: "db", Workflow: "mysql(role=primary)", AskOnFailure: true, Action: action(t, "name: notify\ntype: HTTP\nhttp: {url: 'https://chat.example.com/hook'}"),
			AutoRollback: "none: HTTP actions have no automatic rollback (revert skips it)"},
		{Stage: "apps", Workflow: "web", StageAfter: []string{"db"}, StageApproval: &v1alpha1.Approval{Message: "check the replica caught up"}, AskOnFailure: true, Reach: []string{"resource.manifest: a ConfigMap of namespace shared"},
			Action:       action(t, "name: config\ntype: KubernetesResource\nresource: {manifest: 'apiVersion: v1\n\n  kind: ConfigMap\n\n  metadata: {name: web, namespace: shared}\n\n  data: {primary: db-b}\n\n  '}"),
			AutoRollback: "automatic: delete the object if the action created it; skipped if it existed before"},
		{Stage: "apps", Workflow: "web", StageAfter: []string{"db"}, StageApproval: &v1alpha1.Approval{Message: "check the replica caught up"}, AskOnFailure: true, Condition: "skipped: when mode == \"delete\" is false",
			Action:       action(t, "name: cleanup\ntype: Job\njob: {namespace: ops, template: {spec: {template: {spec: {containers: [{name: c, image: busybox}]}}}}}"),
			AutoRollback: "automatic: delete the Job (and its Pods)"},
	}
}

// The dry run's YAML, comments and all, against a golden file.
func TestDryRunGolden(t *testing.T) {
	var out bytes.Buffer
	opts := engine.ExecuteOptions{Namespace: "dr", Plan: "prod-failover", Mode: v1alpha1.ModeInstall}
	require.NoError(t, writeDryRun(&out, opts, plannedRun(t)))
	cmdtest.Golden(t, "dry-run", out.Bytes())
}

// The one screen execute shows on a terminal before it asks, against a golden file.
func TestConfirmationSummaryGolden(t *testing.T) {
	summary := tui.ExecuteSummary("dr", "prod-failover", v1alpha1.ModeInstall, plannedRun(t), []string{`parameter "regoin" is neither declared nor used`}, "kubectl dr execute prod-failover -n dr --dry-run")
	cmdtest.Golden(t, "confirm", []byte(summary))
}
