package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, testenv.Options{ExtraCRDs: testenv.ClusternetCRDs()}))
}

// fixture is one test's namespace, engine and recorded events.
type fixture struct {
	t         testing.TB
	ctx       context.Context
	client    client.WithWatch
	namespace string
	events    *Recording
	engine    *Engine
	cfg       Config
	// cut simulates a network partition: while set, every API request fails.
	cut *atomic.Bool
	// noWatch simulates a runner without permission to watch: watch requests are forbidden.
	noWatch *atomic.Bool
	// loseStatusReply, once set, lets the next status write of an execution through and loses its
	// answer (a timeout after the server committed it).
	loseStatusReply *atomic.Bool
}

var nsCounter atomic.Int32

func newFixture(t testing.TB, tweak ...func(*Config)) *fixture {
	t.Helper()
	e := testenv.Require(t, env)
	clock := lease.NewServerClock()
	cut, noWatch, loseStatusReply := &atomic.Bool{}, &atomic.Bool{}, &atomic.Bool{}
	cfg := rest.CopyConfig(e.Config)
	cfg.Wrap(clock.Wrap)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			if cut.Load() {
				return nil, fmt.Errorf("simulated partition: %s %s", r.Method, r.URL.Path)
			}
			if noWatch.Load() && r.URL.Query().Get("watch") == "true" {
				return forbidden(r), nil
			}
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/drplanexecutions/") && strings.HasSuffix(r.URL.Path, "/status") &&
				loseStatusReply.CompareAndSwap(true, false) {
				resp, err := rt.RoundTrip(r)
				if err == nil {
					_ = resp.Body.Close()
				}
				return nil, fmt.Errorf("simulated lost reply: %s %s: %w", r.Method, r.URL.Path, context.DeadlineExceeded)
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	ns := fmt.Sprintf("e%d-%d", time.Now().UnixNano()%100000, nsCounter.Add(1))
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	f := &fixture{t: t, ctx: ctx, client: c, namespace: ns, events: &Recording{}, cut: cut, noWatch: noWatch, loseStatusReply: loseStatusReply}
	f.cfg = Config{
		Client: c, Clock: clock, Observer: f.events,
		Runner:        v1alpha1.RunnerInfo{User: "tester", Host: "testhost", PID: 42, Version: "test"},
		MaxRetryDelay: 2 * time.Second,
	}
	for _, fn := range tweak {
		fn(&f.cfg)
	}
	f.engine = New(f.cfg)
	return f
}

// forbidden is the API server's answer to a request the user may not make.
func forbidden(r *http.Request) *http.Response {
	body := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden: watch is not allowed","reason":"Forbidden","code":403}`
	return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Request: r,
		Header: http.Header{"Content-Type": []string{"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// apply creates the objects of a YAML stream in the fixture's namespace.
func (f *fixture) apply(docs string) {
	f.t.Helper()
	testenv.Apply(f.t, f.client, f.namespace, docs)
}

func (f *fixture) execution(name string) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(f.t, f.client.Get(f.ctx, objectKey(f.namespace, name), exec))
	return exec
}

// durable is the execution as its runner made it durable: the record with its journal folded in,
// what a resume starts from.
func (f *fixture) durable(name string) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	exec := f.execution(name)
	require.NoError(f.t, Overlay(f.ctx, f.client, exec))
	return exec
}

func (f *fixture) plan(name string) *v1alpha1.DRPlan {
	f.t.Helper()
	p := &v1alpha1.DRPlan{}
	require.NoError(f.t, f.client.Get(f.ctx, objectKey(f.namespace, name), p))
	return p
}

func (f *fixture) execute(plan string, opts ...func(*ExecuteOptions)) *Result {
	f.t.Helper()
	o := ExecuteOptions{Namespace: f.namespace, Plan: plan}
	for _, fn := range opts {
		fn(&o)
	}
	res, err := f.engine.Execute(f.ctx, o)
	require.NoError(f.t, err)
	return res
}

// actionPhases returns "stage/workflow/action=Phase" for every action of the record.
func actionPhases(exec *v1alpha1.DRPlanExecution) []string {
	var out []string
	for _, ss := range exec.Status.StageStatuses {
		for _, w := range ss.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				out = append(out, fmt.Sprintf("%s/%s/%s=%s", ss.Name, w.WorkflowRef.Name, a.Name, a.Phase))
			}
		}
	}
	return out
}

func actionStatus(exec *v1alpha1.DRPlanExecution, stage, workflow, action string) v1alpha1.ActionStatus {
	for _, ss := range exec.Status.StageStatuses {
		if ss.Name != stage {
			continue
		}
		for _, w := range ss.WorkflowExecutions {
			if w.WorkflowRef.Name != workflow {
				continue
			}
			for _, a := range w.ActionStatuses {
				if a.Name == action {
					return a
				}
			}
		}
	}
	return v1alpha1.ActionStatus{}
}

// hits is an HTTP endpoint recorder: the order of paths requested.
type hits struct {
	mu    sync.Mutex
	paths []string
	times map[string][]time.Time
}

func (h *hits) add(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paths = append(h.paths, path)
	if h.times == nil {
		h.times = map[string][]time.Time{}
	}
	h.times[path] = append(h.times[path], time.Now())
}

func (h *hits) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.paths...)
}

func (h *hits) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.times[path])
}

// appPlan is a plan of one stage, s, running the workflow app.
const appPlan = `---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: app}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: app}}]}]
`

// httpWorkflow is a workflow of HTTP POSTs to url+"/"+action for each action.
func httpWorkflow(name, url string, actions ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: %s}\nspec:\n  actions:\n", name)
	for _, a := range actions {
		fmt.Fprintf(&b, "  - name: %s\n    type: HTTP\n    http: {url: %q, method: POST}\n", a, url+"/"+name+"/"+a)
	}
	return b.String()
}

// another is a second runner (its own client, clock and engine) on f's namespace.
func (f *fixture) another(tweak ...func(*Config)) *fixture {
	f.t.Helper()
	g := newFixture(f.t, tweak...)
	g.namespace = f.namespace
	return g
}

// shortLease is a 3 s plan Lease (renew deadline 1 s, renewed every 400 ms), so that takeovers
// happen within seconds.
func shortLease(c *Config) { c.LeaseDuration = 3 * time.Second }

// currentExecution names the execution the fixture's engine runs (from its first event).
func (f *fixture) currentExecution() string {
	f.t.Helper()
	evs := f.events.Events()
	require.NotEmpty(f.t, evs, "no run has started")
	return evs[0].Execution
}

// failingServer answers 500 to failPath (none when empty), after delay to paths containing
// /slow, and 200 to the rest, counting hits.
func failingServer(t *testing.T, failPath string, delay time.Duration) (*httptest.Server, *hits) {
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r.URL.Path)
		if strings.Contains(r.URL.Path, "/slow") {
			time.Sleep(delay)
		}
		if failPath != "" && r.URL.Path == failPath {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, h
}

// APIServerForExamples is the test API server's configuration, for the examples of package engine_test
// (nil without one).
func APIServerForExamples() *rest.Config {
	if env == nil {
		return nil
	}
	return rest.CopyConfig(env.Config)
}
