package engine

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// conditionalPlan is a plan of one workflow whose actions choose by mode, parameter and output.
func conditionalPlan(name, url string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: %[1]s}
spec:
  failurePolicy: Continue
  parameters: [{name: region, default: eu}]
  actions:
  - {name: check, type: HTTP, http: {url: "%[2]s/check"}}
  - {name: install, type: HTTP, http: {url: "%[2]s/install"}, when: 'mode == "install"'}
  - {name: upgrade, type: HTTP, http: {url: "%[2]s/upgrade"}, when: 'mode == "upgrade" || mode == "rollback"'}
  - {name: healthy-eu, type: HTTP, http: {url: "%[2]s/healthy-eu"}, when: 'outputs.check.statusCode == "200" && params.region == "eu"'}
  - {name: broken, type: HTTP, http: {url: "%[2]s/broken"}, when: 'outputs.check.statusCode == "500"'}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %[1]s}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: %[1]s}}]}]
`, name, url)
}

func TestWhenChoosesActionsByModeParamsAndOutputs(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(conditionalPlan("app", srv.URL))

	// A dry run says what each condition decides, before anything runs.
	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "app", Mode: v1alpha1.ModeUpgrade})
	require.NoError(t, err)
	conditions := map[string]string{}
	for _, p := range planned {
		conditions[p.Action.Name] = p.Condition
	}
	assert.Equal(t, map[string]string{
		"check":      "",
		"install":    `skipped: when "mode == \"install\"" is false`,
		"upgrade":    `runs: when "mode == \"upgrade\" || mode == \"rollback\"" is true`,
		"healthy-eu": `when "outputs.check.statusCode == \"200\" && params.region == \"eu\"": decided when the action's turn comes (it reads outputs)`,
		"broken":     `when "outputs.check.statusCode == \"500\"": decided when the action's turn comes (it reads outputs)`,
	}, conditions)
	assert.Empty(t, h.list(), "a dry run sends nothing")

	res := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeInstall })
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/check", "/install", "/healthy-eu"}, h.list(), "only the branches whose condition holds ran, in order")
	exec := f.execution(res.Execution.Name)
	up := actionStatus(exec, "s", "app", "upgrade")
	assert.Equal(t, v1alpha1.PhaseSkipped, up.Phase)
	assert.Equal(t, `skipped: when "mode == \"upgrade\" || mode == \"rollback\"" is false`, up.Message)
	assert.Equal(t, v1alpha1.PhaseSkipped, actionStatus(exec, "s", "app", "broken").Phase)
	assert.Equal(t, v1alpha1.PhaseSucceeded, actionStatus(exec, "s", "app", "healthy-eu").Phase)
}

// An Execute without a mode of a plan that chooses by mode is refused before anything is created:
// the upstream controller would run the install and the upgrade branch alike.
func TestAPlanThatChoosesByModeNeedsAMode(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(conditionalPlan("app", srv.URL))

	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "app"})
	var invalid *InvalidError
	require.True(t, errors.As(err, &invalid), "%v", err)
	assert.Contains(t, err.Error(), `stage s, action install: when "mode == \"install\"" chooses by mode, and the execution has none: set its mode (drctl execute --mode Install|Upgrade|Delete|Rollback, or spec.mode)`)
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, f.client.List(f.ctx, list, client.InNamespace(f.namespace)))
	assert.Empty(t, list.Items, "no execution is created")
	assert.Empty(t, h.list(), "nothing is sent")
}

// A condition reading an output that the earlier action did not produce fails the action: it is
// taken as neither answer.
func TestAConditionThatCannotBeDecidedFailsItsAction(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
  - {name: check, type: HTTP, http: {url: "%[1]s/check"}}
  - {name: gated, type: HTTP, http: {url: "%[1]s/gated"}, when: 'outputs.check.ready == "yes"'}
`+appPlan, srv.URL))
	res := f.execute("app")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	gated := actionStatus(f.execution(res.Execution.Name), "s", "app", "gated")
	assert.Equal(t, v1alpha1.PhaseFailed, gated.Phase)
	assert.Equal(t, `when "outputs.check.ready == \"yes\"": no such key: ready`, gated.Message)
	assert.Equal(t, []string{"/check"}, h.list())
}

// A custom rollback's condition is judged in the revert with the reverted execution's mode.
func TestARollbackConditionSeesTheRevertedMode(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
  - name: deploy
    type: HTTP
    http: {url: "%[1]s/deploy"}
    rollback: {type: HTTP, http: {url: "%[1]s/uninstall"}, when: 'mode == "install" && operation == "revert"'}
  - name: migrate
    type: HTTP
    http: {url: "%[1]s/migrate"}
    rollback: {type: HTTP, http: {url: "%[1]s/unmigrate"}, when: 'mode == "upgrade"'}
`+appPlan, srv.URL))
	res := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeInstall })
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, []string{"/deploy", "/migrate", "/uninstall"}, h.list())
	undo := actionStatus(f.execution(rev.Execution.Name), "s", "app", "migrate")
	assert.Equal(t, `skipped: when "mode == \"upgrade\"" is false`, undo.Message)
}

// A condition reading the outputs of an action that was skipped says so, and how to guard it.
func TestAConditionOnASkippedActionSaysWhy(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: app}
spec:
  actions:
  - {name: install-only, type: HTTP, http: {url: "%[1]s/install"}, when: 'mode == "install"'}
  - {name: reads, type: HTTP, http: {url: "%[1]s/reads"}, when: 'outputs["install-only"].statusCode == "200"'}
`+appPlan, srv.URL))
	res := f.execute("app", func(o *ExecuteOptions) { o.Mode = v1alpha1.ModeUpgrade })
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	assert.Equal(t, `when "outputs[\"install-only\"].statusCode == \"200\"": action install-only has no outputs: it was skipped or has not run (guard with "install-only" in outputs)`,
		actionStatus(f.execution(res.Execution.Name), "s", "app", "reads").Message)
}
