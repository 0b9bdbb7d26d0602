package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func graphPlan(name, url, policy, actions string) string {
	return fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: %[1]s}
spec:
  failurePolicy: %[3]s
  actions:
%[4]s---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %[1]s}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: %[1]s}}]}]
`, name, url, policy, actions)
}

// Actions that depend only on prepare run at the same time (each waits at a barrier for the
// other: run one after the other, the first would time out), and join starts after both, with
// their outputs.
func TestIndependentActionsRunAtOnce(t *testing.T) {
	f := newFixture(t)
	h := &hits{}
	b := newBarrier(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		switch r.URL.Path {
		case "/dns", "/db", "/cache":
			if !b.wait() {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}
	}))
	defer srv.Close()
	u := srv.URL
	f.apply(graphPlan("app", u, "FailFast", `  - {name: join, type: HTTP, http: {url: "`+u+`/join/$(outputs.db.statusCode)/$(outputs.dns.statusCode)"}, dependsOn: [db, dns, cache]}
  - {name: prepare, type: HTTP, http: {url: "`+u+`/prepare"}}
  - {name: dns, type: HTTP, http: {url: "`+u+`/dns"}, dependsOn: [prepare], retryPolicy: {limit: 0}}
  - {name: db, type: HTTP, http: {url: "`+u+`/db"}, dependsOn: [prepare], retryPolicy: {limit: 0}}
  - {name: cache, type: HTTP, http: {url: "`+u+`/cache"}, dependsOn: [prepare], retryPolicy: {limit: 0}}
`))
	res := f.execute("app")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	got := h.list()
	require.Len(t, got, 5)
	assert.Equal(t, "/prepare", got[0])
	assert.ElementsMatch(t, []string{"/dns", "/db", "/cache"}, got[1:4])
	assert.Equal(t, "/join/200/200", got[4], "join ran last, with the outputs of what it depends on")
}

// Under FailFast a failure starts nothing new and lets the running action finish; under Continue
// the branch that does not depend on the failure goes on, and what depends on it is skipped.
func TestAFailureInAGraph(t *testing.T) {
	for _, tc := range []struct {
		policy string
		after  v1alpha1.ExecutionPhase // the action after the slow one
		msg    string
	}{
		{"FailFast", v1alpha1.PhaseSkipped, failFastSkip},
		{"Continue", v1alpha1.PhaseSucceeded, ""},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			f := newFixture(t)
			h := &hits{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.add(r.URL.Path)
				switch r.URL.Path {
				case "/broken":
					w.WriteHeader(http.StatusBadRequest)
				case "/slow":
					time.Sleep(2 * time.Second) // long enough that broken has failed, even on a loaded machine
				}
			}))
			defer srv.Close()
			u := srv.URL
			f.apply(graphPlan("app", u, tc.policy, `  - {name: broken, type: HTTP, http: {url: "`+u+`/broken"}, retryPolicy: {limit: 0}}
  - {name: slow, type: HTTP, http: {url: "`+u+`/slow"}}
  - {name: after-broken, type: HTTP, http: {url: "`+u+`/after-broken"}, dependsOn: [broken]}
  - {name: after-slow, type: HTTP, http: {url: "`+u+`/after-slow"}, dependsOn: [slow]}
  - {name: last, type: HTTP, http: {url: "`+u+`/last"}, dependsOn: [after-broken]}
`))
			res := f.execute("app")
			require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
			exec := f.execution(res.Execution.Name)
			assert.Equal(t, v1alpha1.PhaseSucceeded, actionStatus(exec, "s", "app", "slow").Phase, "the running action finished")
			after := actionStatus(exec, "s", "app", "after-slow")
			assert.Equal(t, tc.after, after.Phase, after.Message)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, after.Message)
			}
			ab := actionStatus(exec, "s", "app", "after-broken")
			assert.Equal(t, v1alpha1.PhaseSkipped, ab.Phase)
			last := actionStatus(exec, "s", "app", "last")
			assert.Equal(t, v1alpha1.PhaseSkipped, last.Phase)
			if tc.policy == "Continue" {
				assert.Equal(t, "skipped: it depends on broken, which did not succeed", ab.Message)
				assert.Equal(t, "skipped: it depends on after-broken, which did not succeed", last.Message)
			}
			assert.Zero(t, h.count("/after-broken")+h.count("/last"))
		})
	}
}

// A graph resumed after its runner died resumes the action that was running, even though another
// failed under FailFast before the crash: it may have acted, so it is never recorded Skipped.
func TestAResumedGraphFinishesTheRunningAction(t *testing.T) {
	f := newFixture(t, shortLease)
	h := &hits{}
	var first sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		switch r.URL.Path {
		case "/broken":
			w.WriteHeader(http.StatusBadRequest)
		case "/slow":
			held := false
			first.Do(func() { held = true })
			if held {
				<-r.Context().Done() // the first runner dies while this runs
			}
		}
	}))
	defer srv.Close()
	u := srv.URL
	f.apply(graphPlan("app", u, "FailFast", `  - {name: broken, type: HTTP, http: {url: "`+u+`/broken"}, retryPolicy: {limit: 0}}
  - {name: slow, type: HTTP, http: {url: "`+u+`/slow"}}
  - {name: after-slow, type: HTTP, http: {url: "`+u+`/after-slow"}, dependsOn: [slow]}
`))
	ctx, kill := context.WithCancel(context.Background())
	var name string
	go func() {
		require.Eventually(t, func() bool { return h.count("/slow") == 1 && h.count("/broken") == 1 }, 10*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool {
			return name != "" && actionStatus(f.durable(name), "s", "app", "broken").Phase == v1alpha1.PhaseFailed
		}, 10*time.Second, 10*time.Millisecond)
		kill()
	}()
	_, err := f.engine.Execute(ctx, ExecuteOptions{Namespace: f.namespace, Plan: "app", OnStart: func(e *v1alpha1.DRPlanExecution) { name = e.Name }})
	require.Error(t, err)
	require.Equal(t, []string{"s/app/broken=Failed", "s/app/slow=Running", "s/app/after-slow=Pending"}, actionPhases(f.durable(name)))

	g := f.another(shortLease)
	res, err := g.engine.Resume(context.Background(), ResumeOptions{Namespace: f.namespace, Execution: name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase)
	exec := f.execution(name)
	assert.Equal(t, v1alpha1.PhaseSucceeded, actionStatus(exec, "s", "app", "slow").Phase, "resumed and finished, not skipped")
	assert.Equal(t, 2, h.count("/slow"))
	after := actionStatus(exec, "s", "app", "after-slow")
	assert.Equal(t, v1alpha1.PhaseSkipped, after.Phase)
	assert.Equal(t, failFastSkip, after.Message)
}
