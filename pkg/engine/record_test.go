package engine

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// writeCounts counts the writes that make a run durable: of the record and of its journal.
type writeCounts struct{ record, journal atomic.Int64 }

// countWrites gives f's engine a client that counts the writes of records and journals.
func countWrites(t *testing.T, f *fixture) *writeCounts {
	t.Helper()
	writes := &writeCounts{}
	cfg := rest.CopyConfig(testenv.Require(t, env).Config)
	cfg.Wrap(f.cfg.Clock.Wrap)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			write := r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodPost
			switch {
			case write && strings.Contains(r.URL.Path, "/drplanexecutions/") && strings.HasSuffix(r.URL.Path, "/status"):
				writes.record.Add(1)
			case write && strings.Contains(r.URL.Path, "/configmaps"):
				writes.journal.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	f.cfg.Client = c
	f.engine = New(f.cfg)
	return writes
}

// Between two actions of a workflow one write makes the run durable: it says the next action is
// Running and holds the previous one's outcome and outputs — both before the next request. It
// is a write of the small journal, not of the whole record; the record follows within the status
// interval, and folding the journal into it gives what was durable at any moment.
func TestRecordHoldsEachOutcomeBeforeTheNextActionStartsInOneWrite(t *testing.T) {
	f := newFixture(t)
	writes := countWrites(t, f)
	const n = 20
	var mu sync.Mutex
	var problems []string
	exec := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := 0
		_, _ = fmt.Sscanf(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], "a%d", &k)
		mu.Lock()
		name := exec
		mu.Unlock()
		if name == "" {
			list := &v1alpha1.DRPlanExecutionList{}
			if err := f.client.List(f.ctx, list, client.InNamespace(f.namespace)); err == nil && len(list.Items) == 1 {
				name = list.Items[0].Name
				mu.Lock()
				exec = name
				mu.Unlock()
			}
		}
		stored := &v1alpha1.DRPlanExecution{}
		err := f.client.Get(f.ctx, objectKey(f.namespace, name), stored)
		if err == nil {
			err = Overlay(f.ctx, f.client, stored)
		}
		if err != nil {
			mu.Lock()
			problems = append(problems, fmt.Sprintf("a%d: read the record: %v", k, err))
			mu.Unlock()
		} else {
			as := stored.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses
			mu.Lock()
			if as[k].Phase != v1alpha1.PhaseRunning {
				problems = append(problems, fmt.Sprintf("a%d's request arrived while the record said it was %s", k, as[k].Phase))
			}
			if k > 0 && (as[k-1].Phase != v1alpha1.PhaseSucceeded || as[k-1].Outputs == nil) {
				problems = append(problems, fmt.Sprintf("a%d's request arrived before a%d's outcome was recorded (%s)", k, k-1, as[k-1].Phase))
			}
			mu.Unlock()
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var actions []string
	for i := range n {
		actions = append(actions, fmt.Sprintf("a%d", i))
	}
	f.apply(httpWorkflow("seq", srv.URL, actions...) + `
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: seq}
spec:
  stages:
  - name: only
    workflows: [{workflowRef: {name: seq}}]
`)
	res := f.execute("seq")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Empty(t, problems)
	// One journal write per action (the first creates it, the end deletes it); the record at
	// most every status interval (250 ms), far fewer than once per action.
	assert.GreaterOrEqual(t, writes.journal.Load(), int64(n-1), "journal writes for %d sequential actions", n)
	assert.LessOrEqual(t, writes.journal.Load(), int64(n+1), "journal writes for %d sequential actions", n)
	assert.Positive(t, writes.record.Load(), "the record is written too")
	assert.Less(t, writes.record.Load(), int64(n/2), "record writes for %d sequential actions", n)
	assert.Equal(t, v1alpha1.PhaseSucceeded, actionStatus(f.execution(res.Execution.Name), "only", "seq", fmt.Sprintf("a%d", n-1)).Phase,
		"the record holds everything at the end")
	cm := &corev1.ConfigMap{}
	assert.True(t, apierrors.IsNotFound(f.client.Get(f.ctx, objectKey(f.namespace, journalName(res.Execution.Name)), cm)), "the journal is gone at the end")
}

// Parallel workflows share writes: a write in flight carries every transition made before it
// started, and those arriving meanwhile ride the next one (group commit).
func TestParallelWorkflowsShareStatusWrites(t *testing.T) {
	f := newFixture(t)
	writes := countWrites(t, f)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	const workflows, each = 4, 6
	docs := ""
	refs := ""
	for w := range workflows {
		var actions []string
		for a := range each {
			actions = append(actions, fmt.Sprintf("w%da%d", w, a))
		}
		docs += httpWorkflow(fmt.Sprintf("w%d", w), srv.URL, actions...) + "\n---\n"
		refs += fmt.Sprintf("{workflowRef: {name: w%d}},", w)
	}
	f.apply(docs + `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: par}
spec:
  stages:
  - name: only
    parallel: true
    workflows: [` + strings.TrimSuffix(refs, ",") + `]
`)
	res := f.execute("par")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	total := int64(workflows * each)
	assert.LessOrEqual(t, writes.journal.Load(), total+1, "journal writes for %d actions in %d parallel workflows", total, workflows)
}

// A response body is recorded in full only when a template reads it; otherwise as an excerpt.
// The workflows' specs are stored once, compressed, not in every workflow execution.
func TestRecordKeepsBodiesTemplatesReadAndExcerptsTheRest(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("0123456789", 20)
	var got sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got.Store(r.URL.Path, string(body))
		_, _ = io.WriteString(w, long)
	}))
	defer srv.Close()
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: wf}
spec:
  actions:
  - name: token
    type: HTTP
    http: {url: "` + srv.URL + `/token", method: POST}
  - name: use
    type: HTTP
    http: {url: "` + srv.URL + `/use", method: POST, body: "$(outputs.token.body)"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: bodies}
spec:
  stages:
  - name: only
    workflows: [{workflowRef: {name: wf}}]
`)
	res := f.execute("bodies")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	sent, _ := got.Load("/use")
	assert.Equal(t, long, sent, "the template read the whole body")
	exec := f.execution(res.Execution.Name)
	assert.Equal(t, long, actionStatus(exec, "only", "wf", "token").Outputs.HTTPResponse.Body, "a body a template reads is kept")
	use := actionStatus(exec, "only", "wf", "use")
	assert.Equal(t, long[:64]+"...", use.Outputs.HTTPResponse.Body, "a body nothing reads is an excerpt")
	assert.Empty(t, use.Message, "a successful answer's message only repeats the outputs: not recorded")
	assert.Regexp(t, `^HTTP 200 in \S+$`, ActionSummary(&use), "views derive it from the outputs")
	assert.Nil(t, exec.Status.StageStatuses[0].WorkflowExecutions[0].WorkflowSpec)
	unpacked, err := UnpackedStatus(exec)
	require.NoError(t, err)
	require.NotNil(t, unpacked.Status.StageStatuses[0].WorkflowExecutions[0].WorkflowSpec)
	assert.Equal(t, "$(outputs.token.body)", unpacked.Status.StageStatuses[0].WorkflowExecutions[0].WorkflowSpec.Actions[1].HTTP.Body)
}

// A run whose record would not fit in etcd is refused before anything is created, instead of
// stopping Unknown once the record outgrows the limit.
func TestARunWhoseRecordWouldNotFitIsRefusedBeforeItStarts(t *testing.T) {
	f := newFixture(t)
	var docs, refs strings.Builder
	for w := range 45 {
		names := make([]string, 100)
		for i := range names {
			names[i] = fmt.Sprintf("a%03d", i)
		}
		docs.WriteString(httpWorkflow(fmt.Sprintf("w%02d", w), "http://never.invalid", names...) + "---\n")
		fmt.Fprintf(&refs, "{workflowRef: {name: w%02d}},", w)
	}
	f.apply(docs.String() + `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: huge}
spec:
  stages:
  - name: all
    parallel: true
    workflows: [` + strings.TrimSuffix(refs.String(), ",") + `]
`)
	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "huge"})
	var invalid *InvalidError
	require.ErrorAs(t, err, &invalid)
	assert.Contains(t, err.Error(), "would not fit in etcd")
	assert.Contains(t, err.Error(), "4500 actions")
	list := &v1alpha1.DRPlanExecutionList{}
	require.NoError(t, f.client.List(f.ctx, list, client.InNamespace(f.namespace)))
	assert.Empty(t, list.Items, "nothing was created")
}
