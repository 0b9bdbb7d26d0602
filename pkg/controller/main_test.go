package controller

import (
	"context"
	"fmt"
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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, testenv.Options{BeforeStop: stopServing}))
}

// testLease is the plan Lease duration of every runner in these tests, serve's and the CLI's:
// short, so that a dead runner's plan is taken over within seconds.
const testLease = 3 * time.Second

var (
	serveOnce sync.Once
	serveErr  error
	serveStop = func() {}
)

// stopServing stops the controller and waits for it to return.
func stopServing() { serveStop() }

// serving starts, once for the package, the controller against the test API server, as
// `drctl serve` does; it reconciles every namespace, and each test works in its own.
func serving(t *testing.T) {
	t.Helper()
	e := testenv.Require(t, env)
	serveOnce.Do(func() {
		mgr, err := NewManager(context.Background(), e.Config, Options{MetricsAddr: "0", ProbeAddr: "0", LeaseDuration: testLease,
			RetryDelay: time.Second, ReconcileInterval: 5 * time.Second, AllowControllerIdentity: true, CheckInterval: time.Second})
		if err != nil {
			serveErr = err
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { defer close(stopped); _ = mgr.Start(ctx) }()
		serveStop = func() { cancel(); <-stopped }
	})
	require.NoError(t, serveErr)
}

// fixture is one test's namespace and client.
type fixture struct {
	t         *testing.T
	ctx       context.Context
	client    client.WithWatch
	namespace string
}

var nsCounter atomic.Int32

func newFixture(t *testing.T) *fixture {
	serving(t)
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	ns := fmt.Sprintf("c%d-%d", time.Now().UnixNano()%100000, nsCounter.Add(1))
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	return &fixture{t: t, ctx: ctx, client: c, namespace: ns}
}

// apply creates the objects of a YAML stream in the fixture's namespace.
func (f *fixture) apply(docs string) {
	f.t.Helper()
	testenv.Apply(f.t, f.client, f.namespace, docs)
}

func (f *fixture) execution(name string) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(f.t, f.client.Get(f.ctx, client.ObjectKey{Namespace: f.namespace, Name: name}, exec))
	return exec
}

// awaitPhase waits for the execution to reach phase and returns it.
func (f *fixture) awaitPhase(name string, phase v1alpha1.ExecutionPhase, within time.Duration) *v1alpha1.DRPlanExecution {
	f.t.Helper()
	var last *v1alpha1.DRPlanExecution
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		last = f.execution(name)
		if last.Status.Phase == phase {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.t.Fatalf("execution %s is %q after %s, want %s: %s", name, last.Status.Phase, within, phase, last.Status.Message)
	return nil
}

// target is an HTTP endpoint that records the paths requested, in order; paths containing /slow
// answer after delay.
type target struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newTarget(t *testing.T, delay time.Duration) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.paths = append(tg.paths, r.URL.Path)
		tg.mu.Unlock()
		if strings.Contains(r.URL.Path, "/slow") {
			time.Sleep(delay)
		}
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) requests() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]string(nil), tg.paths...)
}

// httpWorkflow is a workflow of HTTP POSTs to url/<workflow>/<action> for each action.
func httpWorkflow(name, url string, actions ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: %s}\nspec:\n  actions:\n", name)
	for _, a := range actions {
		fmt.Fprintf(&b, "  - name: %s\n    type: HTTP\n    http: {url: %q, method: POST}\n", a, url+"/"+name+"/"+a)
	}
	return b.String()
}

// onePlan is a plan of one stage running workflow w1.
const onePlan = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %s}
spec:
  stages:
  - {name: s1, workflows: [{workflowRef: {name: w1}}]}
`

// executionOf is a user's Execute of plan, as kubectl apply would create it.
func executionOf(name, plan string) string {
	return fmt.Sprintf("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlanExecution\nmetadata: {name: %s}\nspec: {planRef: %s, operationType: Execute}\n", name, plan)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func key(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}
