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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// The values of sensitive parameters, and the forms they take on the way (JSON, URL-escaped,
// a YAML block line by line).
const (
	secretToken  = `tok-3n&d/Q+9x"Z`
	secretDBPass = "s3cr3t-DB-pass!"
	secretPEM    = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END KEY-----"
)

// requireNoSecrets fails when text holds a sensitive value in any form.
func requireNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, secret := range []string{secretToken, secretDBPass, secretPEM} {
		forms := []string{secret, strings.Trim(jsonString(secret), `"`), url.QueryEscape(secret), url.PathEscape(secret)}
		if lines := strings.Split(secret, "\n"); len(lines) > 2 {
			forms = append(forms, lines[1:3]...) // the key's body lines, as a YAML block writes them
		}
		for _, form := range forms {
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
	logs := &lockedBuffer{}
	f := newFixture(t, func(c *Config) { c.Logger = debugLogger(logs) })
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
	f.dbSecret(map[string]string{"password": secretDBPass, "pem": secretPEM})
	f.apply(fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: notify}
spec:
  parameters:
  - {name: token, sensitive: true}
  - {name: dbpass, valueFrom: {secretKeyRef: {name: db, key: password}}}
  - {name: pem, valueFrom: {secretKeyRef: {name: db, key: pem}}}
  - {name: region, default: eu-west}
  actions:
  - name: key
    type: KubernetesResource
    resource:
      operation: Create
      manifest: |
        apiVersion: v1
        kind: Secret
        metadata: {name: tls-copy}
        stringData:
          tls.key: $(params.pem)
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
kind: DRWorkflow
metadata: {name: bystander}
spec:
  actions:
  - name: ping
    type: HTTP
    http: {url: "%[1]s/ping"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: secretive}
spec:
  stages: [{name: first, workflows: [{workflowRef: {name: bystander}}]}, {name: s, workflows: [{workflowRef: {name: notify}}]}]
`, srv.URL))
	params := func(o *ExecuteOptions) { o.Params = map[string]string{"token": secretToken} }

	planned, err := f.engine.DryRun(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "secretive", Params: map[string]string{"token": secretToken}})
	require.NoError(t, err)
	requireNoSecrets(t, "the dry run", toJSON(t, planned))
	require.Len(t, planned, 5)
	assert.Equal(t, "call", planned[2].Action.Name)
	assert.Equal(t, Redacted, planned[2].Action.HTTP.Headers["X-Custom-Auth"])

	res := f.execute("secretive", params)
	require.Equal(t, v1alpha1.PhaseFailed, res.Phase, res.Message)
	mu.Lock()
	require.Len(t, requests, 4)
	assert.Equal(t, request{"/call", secretToken, secretToken, `{"db": "` + secretDBPass + `"}`}, requests[1], "the actions got the real values")
	mu.Unlock()
	copied := &corev1.Secret{}
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, "tls-copy"), copied))
	assert.Equal(t, secretPEM, string(copied.Data["tls.key"]))

	exec := f.execution(res.Execution.Name)
	requireNoSecrets(t, "the stored execution", toJSON(t, exec))
	requireNoSecrets(t, "the result", res.Message+toJSON(t, res.Execution))
	we := exec.Status.StageStatuses[1].WorkflowExecutions[0]
	assert.Equal(t, []string{"dbpass", "pem", "token"}, we.SensitiveParams)
	assert.Equal(t, map[string]string{"token": Redacted, "dbpass": Redacted, "pem": Redacted, "region": "eu-west"}, we.ResolvedParams)
	bystander := exec.Status.StageStatuses[0].WorkflowExecutions[0]
	assert.Equal(t, Redacted, bystander.ResolvedParams["token"], "a -p value reaches every workflow, and is sensitive in every one")
	assert.Equal(t, Redacted, exec.Status.ResolvedParams["token"])
	require.Len(t, exec.Spec.Params, 1)
	assert.Equal(t, paramsSecretName(exec.Name), exec.Spec.Params[0].ValueFrom.SecretKeyRef.Name, "a -p value is kept in the execution's params Secret")
	sealed := &corev1.Secret{}
	require.NoError(t, f.client.Get(f.ctx, objectKey(f.namespace, paramsSecretName(exec.Name)), sealed))
	assert.Equal(t, secretToken, string(sealed.Data["token"]))
	assert.Equal(t, exec.UID, sealed.OwnerReferences[0].UID, "deleted with the execution")
	assert.Contains(t, actionStatus(exec, "s", "notify", "fail").Message, "bad token "+Redacted)
	assert.Equal(t, "ok "+Redacted+" "+Redacted, actionStatus(exec, "s", "notify", "echo").Outputs.HTTPResponse.Body)

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
	require.True(t, apierrors.IsNotFound(f.client.Get(f.ctx, objectKey(f.namespace, "tls-copy"), &corev1.Secret{})), "the revert deleted the created Secret")
	requireNoSecrets(t, "the revert", toJSON(t, f.execution(rev.Execution.Name))+rev.Message)

	var events corev1.EventList
	require.NoError(t, f.client.List(f.ctx, &events, client.InNamespace(f.namespace)))
	require.NotEmpty(t, events.Items)
	requireNoSecrets(t, "the Kubernetes events", toJSON(t, events))
	require.Contains(t, logs.String(), "http request", "debug logs were written")
	requireNoSecrets(t, "the logs", logs.String())
}

// lockedBuffer collects logs written from the run's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// dbSecret creates the Secret "db" of the fixture's namespace.
func (f *fixture) dbSecret(data map[string]string) {
	f.t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.namespace}, Data: map[string][]byte{}}
	for k, v := range data {
		secret.Data[k] = []byte(v)
	}
	require.NoError(f.t, f.client.Create(f.ctx, secret))
}

// A header the user names sensitive (--redact-header) shows as REDACTED in a dry run and in the
// engine's events, and is logged REDACTED, while the request carries it.
func TestRedactHeaderNamesACredentialHeader(t *testing.T) {
	logs := &lockedBuffer{}
	f := newFixture(t, func(c *Config) {
		c.SensitiveHeaders = []string{"x-tenant"}
		c.Logger = debugLogger(logs)
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
	assert.NotContains(t, logs.String(), "hunter2")
}

// A dry run lists what the plan reaches, as validate warns of it: here, the Secrets read.
func TestDryRunListsWhatThePlanReaches(t *testing.T) {
	f := newFixture(t)
	f.dbSecret(map[string]string{"password": secretDBPass})
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

// A record that holds REDACTED without naming the value sensitive (written through CRDs older
// than sensitiveParams) is refused, not rendered with the text "REDACTED".
func TestARecordWithUnlistedRedactedValuesIsRefused(t *testing.T) {
	exec := &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "ns"}, Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "p"}}
	exec.Status.StageStatuses = []v1alpha1.StageStatus{{Name: "s", WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{{
		WorkflowRef:    v1alpha1.ObjectReference{Name: "w", Namespace: "ns"},
		ResolvedParams: map[string]string{"token": Redacted},
		WorkflowSpec:   &v1alpha1.DRWorkflowSpec{Actions: []v1alpha1.Action{{Name: "a", Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{URL: "https://x.example/"}}}},
		ActionStatuses: []v1alpha1.ActionStatus{{Name: "a"}},
	}}}}
	_, err := executeProgram(exec, "ns")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `parameter "token" is recorded as REDACTED and cannot be read again`)
	assert.Contains(t, err.Error(), "drctl install")
}

// A sensitive value of the wrong type is refused without being shown.
func TestASensitiveValueOfTheWrongTypeIsNotShown(t *testing.T) {
	f := newFixture(t)
	f.dbSecret(map[string]string{"port": secretDBPass})
	f.apply(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: w}
spec:
  parameters: [{name: port, type: number, valueFrom: {secretKeyRef: {name: db, key: port}}}]
  actions: [{name: a, type: HTTP, http: {url: "https://x.example/$(params.port)"}}]
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: typed}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: w}}]}]
`)
	_, err := f.engine.Execute(f.ctx, ExecuteOptions{Namespace: f.namespace, Plan: "typed"})
	require.True(t, IsInvalid(err), "%v", err)
	assert.Contains(t, err.Error(), `parameter "port": its value (sensitive, not shown) is`)
	requireNoSecrets(t, "the error", err.Error())
}

// What a report quotes from a record loses the credentials it shows by their form.
func TestRedactCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"POST https://ops:hunter2@hooks.example.com/x?access_token=abc&team=dr": "POST https://ops:REDACTED@hooks.example.com/x?access_token=REDACTED&team=dr",
		`{"access_token":"eyJhbGciOi","expires_in":3600,"Password": "p\"w"}`:    `{"access_token":"REDACTED","expires_in":3600,"Password": "REDACTED"}`,
		`{"ok":true,"path":"/chat"}`:                                            `{"ok":true,"path":"/chat"}`,
	} {
		assert.Equal(t, want, RedactCredentials(in))
	}
}
