package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// BenchmarkExecute20Actions runs a plan of one workflow with 20 HTTP actions (the spec's maximum
// per workflow) against an instant local endpoint, on the real API server, and reports the time
// from Execute to the first action's request and the engine's overhead per action (validation,
// snapshot, lease, two synchronous status writes per action, events), which is what is left when
// the actions themselves take no time.
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
