package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// The values of sensitive parameters, and the forms they take on the way (JSON, URL-escaped).
const (
	secretToken  = `tok-3n&d/Q+9x"Z`
	secretDBPass = "s3cr3t-DB-pass!"
)

// requireNoSecrets fails when text holds a sensitive value in any form.
func requireNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range []string{secretToken, secretDBPass} {
		for _, form := range []string{secret, strings.Trim(jsonString(secret), `"`), url.QueryEscape(secret), url.PathEscape(secret)} {
			require.NotContains(t, text, form, "%s leaks a sensitive value:\n%s", where, text)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

// A run with sensitive parameters (one given with -p, one read from a Secret) uses their values
// and writes them nowhere: not in the stored execution, its journal, its events, the engine's
// events (progress, live view), logs, messages or a dry run; a revert reads them again.
func TestSensitiveValuesAreWrittenNowhere(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	f := newFixture(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			logMu.Lock()
			defer logMu.Unlock()
			return logs.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	type request struct {
		path, query, auth, body string
	}
	var mu sync.Mutex
	var requests []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		requests = append(requests, request{r.URL.Path, r.URL.Query().Get("access_token"), r.Header.Get("X-Custom-Auth"), string(body)})
		mu.Unlock()
		switch r.URL.Path {
		case "/echo":
			fmt.Fprintf(w, "ok %s %s", r.Header.Get("X-Custom-Auth"), secretDBPass)
		case "/fail":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "bad token %s", r.Header.Get("X-Custom-Auth"))
		}
	}))
	defer srv.Close()
	require.NoError(t, f.client.Create(f.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.namespace},
		Data: map[string][]byte{"password": []byte(secretDBPass)}}))
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: notify}
spec:
  parameters:
  - {name: token, sensitive: true}
  - {name: dbpass, valueFrom: {secretKeyRef: {name: db, key: password}}}
  - {name: region, default: eu-west}
  actions:
  - name: call
    type: HTTP
    http:
      url: "%[1]s/call?access_token=$(params.token)&region=$(params.region)"
      method: POST
      headers: {X-Custom-Auth: "$(params.token)"}
      body: '{"db": "$(params.dbpass)"}'
    rollback:
      type: HTTP
      http:
        url: "%[1]s/undo?access_token=$(params.token)"
        method: POST
        headers: {X-Custom-Auth: "$(params.token)"}
  - name: echo
    type: HTTP
    http: {url: "%[1]s/echo", headers: {X-Custom-Auth: "$(params.token)"}}
  - name: fail
    type: HTTP
    http: {url: "%[1]s/fail", headers: {X-Custom-Auth: "$(params.token)"}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: secretive}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: notify}}]}]
`, srv.URL))
	params := func(o *ExecuteOptions) { o.Params = map[string]string{"token": secretToken} }

	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "secretive", Params: map[string]string{"token": secretToken}})
	require.NoError(t, err)
	requireNoSecrets(t, "the dry run", toJSON(t, planned))
	assert.Contains(t, planned[0].Action.HTTP.Headers["X-Custom-Auth"], Redacted)

	res := f.execute("secretive", params)
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, res.Message)
	mu.Lock()
	require.Len(t, requests, 3)
	assert.Equal(t, request{"/call", secretToken, secretToken, `{"db": "` + secretDBPass + `"}`}, requests[0], "the actions got the real values")
	mu.Unlock()

	exec := f.execution(res.Execution.Name)
	requireNoSecrets(t, "the stored execution", toJSON(t, exec))
	requireNoSecrets(t, "the result", res.Message+toJSON(t, res.Execution))
	we := exec.Status.StageStatuses[0].WorkflowExecutions[0]
	assert.Equal(t, []string{"dbpass", "token"}, we.SensitiveParams)
	assert.Equal(t, map[string]string{"token": Redacted, "dbpass": Redacted, "region": "eu-west"}, we.ResolvedParams)
	assert.Equal(t, Redacted, exec.Status.ResolvedParams["token"])
	require.Len(t, exec.Spec.Params, 1)
	assert.Equal(t, paramsSecretName(exec.Name), exec.Spec.Params[0].ValueFrom.SecretKeyRef.Name, "a -p value is kept in the execution's params Secret")
	sealed := &corev1.Secret{}
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, paramsSecretName(exec.Name)), sealed))
	assert.Equal(t, secretToken, string(sealed.Data["token"]))
	assert.Equal(t, exec.UID, sealed.OwnerReferences[0].UID, "deleted with the execution")
	assert.Contains(t, actionStatus(exec, "s", "notify", "fail").Message, "bad token "+Redacted)

	var configMaps corev1.ConfigMapList
	require.NoError(t, f.client.List(f.ctx, &configMaps, client.InNamespace(f.namespace)))
	requireNoSecrets(t, "the journal", toJSON(t, configMaps))
	requireNoSecrets(t, "the engine's events (progress, live view)", toJSON(t, f.events.Events()))

	rev, err := f.engine.Revert(f.ctx, RevertOptions{Namespace: f.namespace, Target: res.Execution.Name})
	require.NoError(t, err)
	require.Equal(t, v1alpha1.PhaseSucceeded, rev.Phase, rev.Message)
	mu.Lock()
	last := requests[len(requests)-1]
	mu.Unlock()
	assert.Equal(t, request{"/undo", secretToken, secretToken, ""}, last, "the revert read the sensitive values again")
	requireNoSecrets(t, "the revert", toJSON(t, f.execution(rev.Execution.Name))+rev.Message)

	var events corev1.EventList
	require.NoError(t, f.client.List(f.ctx, &events, client.InNamespace(f.namespace)))
	require.NotEmpty(t, events.Items)
	requireNoSecrets(t, "the Kubernetes events", toJSON(t, events))
	logMu.Lock()
	defer logMu.Unlock()
	require.Contains(t, logs.String(), "http request", "debug logs were written")
	requireNoSecrets(t, "the logs", logs.String())
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// A header the user names sensitive (--redact-header) shows as REDACTED in a dry run and in the
// engine's events, and is logged REDACTED, while the request carries it.
func TestRedactHeaderNamesACredentialHeader(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	f := newFixture(t, func(c *Config) {
		c.SensitiveHeaders = []string{"x-tenant"}
		c.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			logMu.Lock()
			defer logMu.Unlock()
			return logs.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("X-Tenant") }))
	defer srv.Close()
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: tenant}
spec:
  actions:
  - name: call
    type: HTTP
    http: {url: "%s/", headers: {X-Tenant: "acme:hunter2-literal", X-Trace: visible}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: tenant}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: tenant}}]}]
`, srv.URL))
	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "tenant"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"X-Tenant": Redacted, "X-Trace": "visible"}, planned[0].Action.HTTP.Headers)
	res := f.execute("tenant")
	require.Equal(t, v1alpha1.PhaseSucceeded, res.Phase, res.Message)
	assert.Equal(t, "acme:hunter2-literal", got)
	for _, e := range f.events.Events() {
		if e.Rendered != nil {
			assert.Equal(t, Redacted, e.Rendered.HTTP.Headers["X-Tenant"])
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	assert.NotContains(t, logs.String(), "hunter2")
}

// A dry run lists what the plan reaches, as validate warns of it: here, the Secrets read.
func TestDryRunListsWhatThePlanReaches(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.client.Create(f.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.namespace},
		Data: map[string][]byte{"password": []byte(secretDBPass)}}))
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: grant}
spec:
  parameters:
  - {name: dbpass, valueFrom: {secretKeyRef: {name: db, key: password}}}
  actions:
  - name: bind
    type: KubernetesResource
    resource:
      operation: Create
      manifest: |
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: dr-admin}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
        subjects: [{kind: ServiceAccount, name: dr, namespace: $(planNamespace)}]
  - name: call
    type: HTTP
    http: {url: "https://api.example.com/?password=$(params.dbpass)", insecureSkipVerify: true}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: grant}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: grant}}]}]
`)
	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "grant"})
	require.NoError(t, err)
	require.Len(t, planned, 2)
	assert.Equal(t, []string{
		`reads Secret db (key password) for parameter "dbpass"`,
		"creates cluster-scoped ClusterRoleBinding dr-admin: it affects the whole cluster",
		"creates RBAC object ClusterRoleBinding dr-admin: it grants rights",
	}, planned[0].Reach)
	assert.Equal(t, []string{"skips TLS verification: anyone on the network path can read and answer the request"}, planned[1].Reach,
		"a credential from a sensitive parameter is not one written into the URL")
	requireNoSecrets(t, "the dry run", toJSON(t, planned))
}
