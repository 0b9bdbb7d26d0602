package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestParallelStageFailFastWaitsForInFlightWorkflows(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		switch r.URL.Path {
		case "/bad/go":
			w.WriteHeader(http.StatusBadRequest) // fails at once, no retry
		case "/slow/go":
			time.Sleep(1500 * time.Millisecond) // still running when /bad fails
		}
	}))
	defer srv.Close()
	f.apply(strings.Join([]string{
		httpWorkflow("bad", srv.URL, "go"),
		httpWorkflow("slow", srv.URL, "go", "then"),
		httpWorkflow("seq-a", srv.URL, "go"),
		httpWorkflow("after", srv.URL, "go"),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failing}
spec:
  stages:
  - name: par
    parallel: true
    workflows: [{workflowRef: {name: bad}}, {workflowRef: {name: slow}}]
  - name: independent
    workflows: [{workflowRef: {name: seq-a}}]
  - name: dependent
    dependsOn: [par]
    workflows: [{workflowRef: {name: after}}]
`}, "\n---\n"))
	res := f.execute("failing")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	assert.Contains(t, res.Message, "par/bad/go: POST "+srv.URL+"/bad/go: unexpected status 400")

	exec := f.execution(res.Execution.Name)
	assert.Equal(t, []string{
		"par/bad/go=Failed",
		"par/slow/go=Succeeded", // in flight when bad failed: it finished (FR-023f)
		"par/slow/then=Succeeded",
		"independent/seq-a/go=Succeeded",
		"dependent/after/go=Skipped", // failurePolicy Stop: nothing new starts
	}, actionPhases(exec))
	assert.Equal(t, v1alpha1.PhaseFailed, exec.Status.StageStatuses[0].Phase)
	assert.Equal(t, v1alpha1.PhaseSkipped, exec.Status.StageStatuses[2].Phase)
	assert.Equal(t, 0, h.count("/after/go"))
	var skippedEvent bool
	for _, e := range f.events.Events() {
		skippedEvent = skippedEvent || (e.Type == EventAction && e.Action == "go" && e.Workflow == "after" && e.Phase == v1alpha1.PhaseSkipped)
	}
	assert.True(t, skippedEvent, "a skipped action is announced to the views like any transition")
	assert.Equal(t, int32(1), actionStatus(exec, "par", "bad", "go").Attempts, "a 400 is not retried")
	plan := f.plan("failing")
	assert.Equal(t, "", plan.Status.LastExecutionRef, "only a success becomes the last execution")
	assert.Equal(t, v1alpha1.PhaseFailed, plan.Status.ExecutionHistory[0].Phase)
}

func TestSequentialWorkflowsAndFailurePolicies(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	cont := strings.Replace(httpWorkflow("tolerant", srv.URL, "fail", "next"), "spec:\n", "spec:\n  failurePolicy: Continue\n", 1)
	f.apply(strings.Join([]string{
		httpWorkflow("strict", srv.URL, "fail", "next"),
		cont,
		httpWorkflow("later", srv.URL, "go"),
		`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: policies}
spec:
  failurePolicy: Continue
  stages:
  - name: one
    failurePolicy: Continue
    workflows: [{workflowRef: {name: strict}}, {workflowRef: {name: tolerant}}]
  - name: two
    dependsOn: [one]
    workflows: [{workflowRef: {name: later}}]
`}, "\n---\n"))
	res := f.execute("policies")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	assert.Equal(t, []string{
		"one/strict/fail=Failed",
		"one/strict/next=Skipped",     // FailFast
		"one/tolerant/fail=Failed",    // the stage's Continue starts the next workflow anyway
		"one/tolerant/next=Succeeded", // the workflow's Continue runs the rest
		"two/later/go=Succeeded",      // the plan's Continue
	}, actionPhases(f.execution(res.Execution.Name)))
}

func TestRetriesTimeoutsAndRetryAfter(t *testing.T) {
	f := newFixture(t)
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/w/flaky":
			if flaky.Add(1) < 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		case "/w/throttled":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case "/w/hang":
			time.Sleep(2 * time.Second)
		}
		fmt.Fprint(w, "fine")
	}))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w}
spec:
  failurePolicy: Continue
  actions:
  - name: flaky
    type: HTTP
    http: {url: "%[1]s/w/flaky"}
    retryPolicy: {limit: 3, interval: 100ms, backoffMultiplier: "2"}
  - name: throttled
    type: HTTP
    http: {url: "%[1]s/w/throttled"}
    retryPolicy: {limit: 1, interval: 10ms}
  - name: hang
    type: HTTP
    http: {url: "%[1]s/w/hang"}
    timeout: 300ms
    retryPolicy: {limit: 0}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: retries}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`, srv.URL))
	start := time.Now()
	res := f.execute("retries")
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	exec := f.execution(res.Execution.Name)

	flakyStatus := actionStatus(exec, "s", "w", "flaky")
	assert.Equal(t, v1alpha1.PhaseSucceeded, flakyStatus.Phase)
	assert.Equal(t, int32(3), flakyStatus.Attempts)
	assert.Equal(t, int32(2), flakyStatus.RetryCount)

	throttled := actionStatus(exec, "s", "w", "throttled")
	assert.Equal(t, v1alpha1.PhaseFailed, throttled.Phase)
	assert.Equal(t, int32(2), throttled.Attempts)
	assert.Contains(t, throttled.Message, "unexpected status 429")

	hang := actionStatus(exec, "s", "w", "hang")
	assert.Equal(t, v1alpha1.PhaseFailed, hang.Phase)
	assert.Equal(t, int32(1), hang.Attempts, "limit 0: no retry")
	assert.Contains(t, hang.Message, "timed out after 300ms")

	// 100ms + 200ms backoff, then a Retry-After of 1s beats the 10ms interval.
	assert.GreaterOrEqual(t, time.Since(start), 1300*time.Millisecond)
	retries := 0
	for _, e := range f.events.Events() {
		if e.Type == EventRetry {
			retries++
		}
	}
	assert.Equal(t, 3, retries)
}
