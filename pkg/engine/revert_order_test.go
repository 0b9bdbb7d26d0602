package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// spans records when each request to an httptest server arrived and when its handler finished,
// to tell which requests overlapped.
type spans struct {
	mu    sync.Mutex
	start map[string]time.Time
	end   map[string]time.Time
}

// handler answers every request after delay[path] (0 when absent), 404 for paths under /fail/.
func (s *spans) handler(delay map[string]time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mark(&s.start, r.URL.Path)
		time.Sleep(delay[r.URL.Path])
		s.mark(&s.end, r.URL.Path)
		if strings.HasPrefix(r.URL.Path, "/fail/") {
			w.WriteHeader(http.StatusNotFound)
		}
	}
}

func (s *spans) mark(m *map[string]time.Time, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *m == nil {
		*m = map[string]time.Time{}
	}
	(*m)[path] = time.Now()
}

// span returns when path was requested and answered; the test fails if it never was.
func (s *spans) span(t *testing.T, path string) (start, end time.Time) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	start, ok := s.start[path]
	require.True(t, ok, "%s was never requested", path)
	return start, s.end[path]
}

// undoableWorkflow is a workflow of one HTTP action POSTing to /do/<name>, whose rollback POSTs
// to /undo/<name>.
func undoableWorkflow(name, url string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: %[1]s}
spec:
  actions:
  - name: go
    type: HTTP
    http: {url: "%[2]s/do/%[1]s", method: POST}
    rollback: {type: HTTP, http: {url: "%[2]s/undo/%[1]s", method: POST}}
`, name, url)
}

// revertStages returns "name<-dep,dep" for each stage of a revert record, in its order.
func revertStages(exec *v1alpha1.DRPlanExecution) []string {
	var out []string
	for _, ss := range exec.Status.StageStatuses {
		out = append(out, ss.Name+"<-"+strings.Join(ss.DependsOn, ","))
	}
	return out
}

// A diamond a → {b, c} → d is undone d, then b and c concurrently, then a: the recorded
// dependency graph backwards, not the completion timestamps.
func TestRevertFollowsStageDependenciesBackwards(t *testing.T) {
	f := newFixture(t)
	s := &spans{}
	slow := 700 * time.Millisecond
	srv := httptest.NewServer(s.handler(map[string]time.Duration{"/undo/wb": slow, "/undo/wc": slow}))
	defer srv.Close()
	f.apply(strings.Join([]string{
		undoableWorkflow("wa", srv.URL), undoableWorkflow("wb", srv.URL),
		undoableWorkflow("wc", srv.URL), undoableWorkflow("wd", srv.URL),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: diamond}
spec:
  stages:
  - {name: a, workflows: [{workflowRef: {name: wa}}]}
  - {name: b, dependsOn: [a], workflows: [{workflowRef: {name: wb}}]}
  - {name: c, dependsOn: [a], workflows: [{workflowRef: {name: wc}}]}
  - {name: d, dependsOn: [b, c], workflows: [{workflowRef: {name: wd}}]}
`}, "\n---\n"))
	res := f.execute("diamond")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)

	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, []string{"d<-", "c<-d", "b<-d", "a<-b,c"}, revertStages(f.execution(rev.Execution.Name)),
		"each stage's undo waits for the undo of the stages that depended on it")

	_, dEnd := s.span(t, "/undo/wd")
	bStart, bEnd := s.span(t, "/undo/wb")
	cStart, cEnd := s.span(t, "/undo/wc")
	aStart, _ := s.span(t, "/undo/wa")
	assert.True(t, dEnd.Before(bStart) && dEnd.Before(cStart), "d is undone before b and c")
	assert.True(t, bStart.Before(cEnd) && cStart.Before(bEnd),
		"b and c ran independently and are undone concurrently: b %v–%v, c %v–%v", bStart, bEnd, cStart, cEnd)
	assert.True(t, aStart.After(bEnd) && aStart.After(cEnd), "a is undone last")
}

// The workflows of a parallel stage ran concurrently, and are undone concurrently.
func TestRevertUndoesAParallelStagesWorkflowsConcurrently(t *testing.T) {
	f := newFixture(t)
	s := &spans{}
	slow := 700 * time.Millisecond
	srv := httptest.NewServer(s.handler(map[string]time.Duration{"/undo/p1": slow, "/undo/p2": slow, "/undo/p3": slow}))
	defer srv.Close()
	f.apply(strings.Join([]string{
		undoableWorkflow("p1", srv.URL), undoableWorkflow("p2", srv.URL), undoableWorkflow("p3", srv.URL),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: fan}
spec:
  stages:
  - {name: all, parallel: true, workflows: [{workflowRef: {name: p1}}, {workflowRef: {name: p2}}, {workflowRef: {name: p3}}]}
`}, "\n---\n"))
	res := f.execute("fan")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	var latestStart, earliestEnd time.Time
	for _, w := range []string{"p1", "p2", "p3"} {
		start, end := s.span(t, "/undo/"+w)
		if start.After(latestStart) {
			latestStart = start
		}
		if earliestEnd.IsZero() || end.Before(earliestEnd) {
			earliestEnd = end
		}
	}
	assert.True(t, latestStart.Before(earliestEnd), "all three undos overlap: the last started (%v) before the first ended (%v)", latestStart, earliestEnd)
}

// A stage with nothing to undo passes the dependency on: a → b (failed, nothing to undo) → c
// undoes c before a, while x, independent of them all, is undone alongside c.
func TestRevertLooksThroughStagesWithNothingToUndo(t *testing.T) {
	f := newFixture(t)
	s := &spans{}
	srv := httptest.NewServer(s.handler(map[string]time.Duration{"/undo/wc": 500 * time.Millisecond}))
	defer srv.Close()
	f.apply(strings.Join([]string{
		undoableWorkflow("wa", srv.URL), httpWorkflow("fail", srv.URL, "go"),
		undoableWorkflow("wc", srv.URL), undoableWorkflow("wx", srv.URL),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: gap}
spec:
  failurePolicy: Continue
  stages:
  - {name: a, workflows: [{workflowRef: {name: wa}}]}
  - {name: b, dependsOn: [a], workflows: [{workflowRef: {name: fail}}]}
  - {name: c, dependsOn: [b], workflows: [{workflowRef: {name: wc}}]}
  - {name: x, workflows: [{workflowRef: {name: wx}}]}
`}, "\n---\n"))
	res := f.execute("gap")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, "b fails; the plan's Continue runs c")
	require.Equal(t, "c/wc/go=Succeeded", actionPhases(f.execution(res.Execution.Name))[2])

	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	assert.Equal(t, []string{"x<-", "c<-", "a<-c"}, revertStages(f.execution(rev.Execution.Name)))

	cStart, cEnd := s.span(t, "/undo/wc")
	aStart, _ := s.span(t, "/undo/wa")
	xStart, _ := s.span(t, "/undo/wx")
	assert.True(t, aStart.After(cEnd), "a is undone after c, which depended on it through b")
	assert.True(t, xStart.Before(cEnd), "x is independent: undone while c is (c %v–%v, x %v)", cStart, cEnd, xStart)
}

// The revert's layout comes from the recorded graph alone: completion times that disagree with it
// (whole seconds, other clocks) change nothing.
func TestRevertLayoutIgnoresCompletionTimes(t *testing.T) {
	stage := func(name string, undo bool, completed int, deps ...string) v1alpha1.StageStatus {
		phase := v1alpha1.PhaseFailed
		if undo {
			phase = v1alpha1.PhaseSucceeded
		}
		at := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, completed, 0, time.UTC))
		return v1alpha1.StageStatus{Name: name, DependsOn: deps, CompletionTime: &at,
			WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{{
				WorkflowRef:    v1alpha1.ObjectReference{Name: "w-" + name},
				ActionStatuses: []v1alpha1.ActionStatus{{Name: "go", Phase: phase}},
			}}}
	}
	for _, tc := range []struct {
		name   string
		stages []v1alpha1.StageStatus
		want   []string
	}{{
		name: "diamond, the root recorded as finishing last",
		stages: []v1alpha1.StageStatus{stage("a", true, 9), stage("b", true, 1, "a"),
			stage("c", true, 1, "a"), stage("d", true, 1, "b", "c")},
		want: []string{"d<-", "c<-d", "b<-d", "a<-b,c"},
	}, {
		name: "chain through stages with nothing to undo, declared out of order",
		stages: []v1alpha1.StageStatus{stage("c", true, 1, "b2"), stage("b2", false, 1, "b1"),
			stage("b1", false, 1, "a"), stage("a", true, 5)},
		want: []string{"c<-", "a<-c"},
	}, {
		name: "independent stages, ties by declaration",
		stages: []v1alpha1.StageStatus{stage("p", true, 1), stage("q", true, 3), stage("r", false, 2, "p"),
			stage("s", true, 2, "p", "q")},
		want: []string{"s<-", "q<-s", "p<-s"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			target := &v1alpha1.DRPlanExecution{Status: v1alpha1.DRPlanExecutionStatus{StageStatuses: tc.stages}}
			exec := &v1alpha1.DRPlanExecution{}
			initRevertStatus(exec, target, &v1alpha1.RunnerInfo{}, metav1.Now())
			assert.Equal(t, tc.want, revertStages(exec))
		})
	}
}
