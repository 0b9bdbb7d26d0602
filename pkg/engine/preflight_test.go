package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestNothingRunsWhenThePlanCannotRun(t *testing.T) {
	// This drctl can perform HTTP actions only.
	f := newFixture(t, func(c *Config) {
		c.Actions = actions.NewRegistry(map[v1alpha1.ActionType]actions.Executor{v1alpha1.ActionHTTP: actions.NewHTTP()})
	})
	srv, h := slowServer(t, 0)
	f.apply(httpWorkflow("w1", srv.URL, "a") + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w2}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - name: job
    type: Job
    job: {template: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}
---
` + fmt.Sprintf(twoStagePlan, "broken"))

	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "broken"})
	require.True(t, IsInvalid(err), "%v", err)
	assert.Contains(t, err.Error(), `workflow w2 requires parameter "target"`)

	_, err = f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "broken", Params: map[string]string{"target": "b"}})
	require.True(t, IsInvalid(err), "%v", err)
	assert.Contains(t, err.Error(), "action type Job is not supported by this drctl")

	_, err = f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "nope"})
	assert.ErrorContains(t, err, "DRPlan "+f.namespace+"/nope not found")

	assert.Equal(t, 0, len(h.list()), "no action ran")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, f.client.List(f.ctx, list))
	for _, e := range list.Items {
		assert.NotEqual(t, f.namespace, e.Namespace, "no execution was created")
	}
}

func TestParameterPrecedenceAndSnapshot(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r.URL.Path) }))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w}
spec:
  parameters:
  - {name: a, default: wf}
  - {name: b, default: wf}
  - {name: c, default: wf}
  - {name: d, default: wf}
  - {name: empty, default: notempty}
  actions:
  - name: call
    type: HTTP
    http: {url: "%s/$(params.a)/$(params.b)/$(params.c)/$(params.d)/[$(params.empty)]/$(planName)/$(planNamespace)"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: layered}
spec:
  globalParams: [{name: b, value: global}, {name: c, value: global}, {name: d, value: global}]
  stages:
  - name: s
    workflows:
    - workflowRef: {name: w}
      params: [{name: c, value: stage}, {name: d, value: stage}, {name: empty, value: ""}]
`, srv.URL))
	res := f.execute("layered", func(o *ExecuteOptions) { o.Params = map[string]string{"d": "cli"} })
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/wf/global/stage/cli/[]/layered/" + f.namespace}, h.list())
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, map[string]string{"b": "global", "c": "global", "d": "cli"}, exec.Status.ResolvedParams)
	assert.Equal(t, map[string]string{"a": "wf", "b": "global", "c": "stage", "d": "cli", "empty": ""},
		exec.Status.StageStatuses[0].WorkflowExecutions[0].ResolvedParams)
	assert.Equal(t, "cli", *exec.Spec.Params[0].Value, "-p values are recorded in spec.params")
	assert.True(t, strings.HasPrefix(exec.Name, "layered-"), exec.Name)
}
