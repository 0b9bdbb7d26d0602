package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// BenchmarkExecute20Actions runs a plan of one workflow with 20 HTTP actions (the spec's maximum
// per workflow) against an instant local endpoint, on the real API server, and reports the time
// from Execute to the first action's request and the engine's overhead per action (validation,
// snapshot, lease, one journal write per action, the record every status interval, events),
// which is what is left when the actions themselves take no time. In-process, with envtest's
// client limits: docs/benchmarks.md has the figures users get.
func BenchmarkExecute20Actions(b *testing.B) {
	f := newFixture(b)
	var mu sync.Mutex
	var first time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if first.IsZero() {
			first = time.Now()
		}
		mu.Unlock()
	}))
	defer srv.Close()
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprintf("a%02d", i)
	}
	f.apply(httpWorkflow("w", srv.URL, names...) + `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: bench}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`)
	var toFirst, total time.Duration
	b.ResetTimer()
	for b.Loop() {
		mu.Lock()
		first = time.Time{}
		mu.Unlock()
		start := time.Now()
		res, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "bench"})
		if err != nil || res.Phase != v1alpha1.PhaseSucceeded {
			b.Fatalf("run: %v %v", err, res)
		}
		total += time.Since(start)
		mu.Lock()
		toFirst += first.Sub(start)
		mu.Unlock()
	}
	b.ReportMetric(float64(toFirst.Milliseconds())/float64(b.N), "ms-to-first-action")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N)/20, "ms-per-action")
}

// noop is an action that does nothing, for measuring the scheduler alone.
type noop struct{}

func (noop) Execute(context.Context, actions.Env, actions.Request) (actions.Result, error) {
	return actions.Result{}, nil
}

// BenchmarkScheduler400NoopActions runs the benchmark's plan shape (5 chained stages × 4 parallel
// workflows × 20 actions) with actions that do nothing, on the real API server: the engine's
// cost per action (scheduling, state, journal and record writes, events).
func BenchmarkScheduler400NoopActions(b *testing.B) {
	f := newFixture(b, func(c *Config) {
		c.Actions = actions.NewRegistry(map[v1alpha1.ActionType]actions.Executor{v1alpha1.ActionHTTP: noop{}})
	})
	docs := ""
	for s := range 5 {
		for w := range 4 {
			names := make([]string, 20)
			for i := range names {
				names[i] = fmt.Sprintf("s%dw%da%02d", s, w, i)
			}
			docs += httpWorkflow(fmt.Sprintf("s%dw%d", s, w), "http://noop.invalid", names...) + "---\n"
		}
	}
	var stages strings.Builder
	for s := range 5 {
		fmt.Fprintf(&stages, "  - name: st%d\n    parallel: true\n", s)
		if s > 0 {
			fmt.Fprintf(&stages, "    dependsOn: [st%d]\n", s-1)
		}
		stages.WriteString("    workflows: [")
		for w := range 4 {
			if w > 0 {
				stages.WriteString(", ")
			}
			fmt.Fprintf(&stages, "{workflowRef: {name: s%dw%d}}", s, w)
		}
		stages.WriteString("]\n")
	}
	f.apply(docs + "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: {name: noop}\nspec:\n  stages:\n" + stages.String())
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "noop"})
		if err != nil || res.Phase != v1alpha1.PhaseSucceeded {
			b.Fatalf("run: %v %v", err, res)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N)/400, "ms-per-action")
}

// BenchmarkRenderAction renders an HTTP action with parameters, builtins and an earlier action's
// output, as every step does before it starts.
func BenchmarkRenderAction(b *testing.B) {
	a := &v1alpha1.Action{Name: "repoint", Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{
		URL:    "https://$(params.region).example.com/api/v1/clusters/$(params.cluster)/failover",
		Method: "POST", Body: `{"plan":"$(planName)","token":"$(outputs.login.body)","target":"$(params.cluster)"}`,
		Headers: map[string]string{"X-Execution": "$(executionName)"}}}
	vars := Vars{Params: map[string]string{"region": "eu", "cluster": "b"}, PlanName: "p", PlanNamespace: "ns", ExecutionName: "e",
		Outputs: map[string]map[string]string{"login": {"body": "t0k3n"}}}
	for b.Loop() {
		if _, err := RenderAction(a, vars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateTransitions400 makes the three transitions of each of 400 actions (Running,
// Succeeded, and the journal entries that make them durable) on a 400-action record: the runner's
// in-memory work per action.
func BenchmarkStateTransitions400(b *testing.B) {
	exec := &v1alpha1.DRPlanExecution{}
	for s := range 5 {
		ss := v1alpha1.StageStatus{Name: fmt.Sprintf("s%d", s)}
		for w := range 4 {
			we := v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: fmt.Sprintf("w%d", w)}}
			for a := range 20 {
				we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: fmt.Sprintf("a%d", a), Phase: v1alpha1.PhasePending})
			}
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, we)
		}
		exec.Status.StageStatuses = append(exec.Status.StageStatuses, ss)
	}
	outputs := &v1alpha1.ActionOutputs{HTTPResponse: &v1alpha1.HTTPResponse{StatusCode: 200, Body: "ok", Latency: "1ms"}}
	for b.Loop() {
		st := &state{exec: exec.DeepCopy(), now: time.Now}
		for s := range 5 {
			for w := range 4 {
				for a := range 20 {
					n := at{s, w, a}
					st.startAttempt(n, 1, nil)
					st.journalEntries(0)
					st.finishAction(n, v1alpha1.PhaseSucceeded, "", outputs)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/400, "us-per-action")
}
