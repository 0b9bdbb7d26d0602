package engine

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Stages that name no dependsOn run one at a time, in order, as the upstream controller runs
// them; the record says what each waited for, so resume and revert follow the same order.
func TestStagesWithoutDependsOnRunOneAtATime(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		time.Sleep(200 * time.Millisecond)
	}))
	defer srv.Close()
	f.apply(httpWorkflow("a", srv.URL, "one") + "---\n" + httpWorkflow("b", srv.URL, "two") + "---\n" + httpWorkflow("c", srv.URL, "three") + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: ordered}
spec:
  stages:
  - {name: first, workflows: [{workflowRef: {name: a}}]}
  - {name: second, workflows: [{workflowRef: {name: b}}]}
  - {name: third, workflows: [{workflowRef: {name: c}}]}
`)
	res := f.execute("ordered")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, []string{"/a/one", "/b/two", "/c/three"}, h.list())
	st := f.execution(res.Execution.Name).Status.StageStatuses
	assert.Equal(t, []string{"first"}, st[1].DependsOn, "the record says what the stage waited for")
	assert.Equal(t, []string{"second"}, st[2].DependsOn)
	for i := 1; i < len(st); i++ {
		assert.False(t, st[i].StartTime.Before(st[i-1].CompletionTime), "stage %s started before %s ended", st[i].Name, st[i-1].Name)
	}
}
