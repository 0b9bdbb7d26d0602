package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Every channel the CLI writes to, and every object it stores, is free of a run's sensitive
// values: one given with -p, one read from a Secret, and a credential header named with
// --redact-header. Each command below runs with -v, so logs are searched too.
func TestSecretsReachNoOutputChannel(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	const token, dbpass, tenant = "tok-9f8e7d6c5b", "db-p4ss-w0rd", "tenant-cr3d"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "echo %s %s %s", r.Header.Get("X-Auth"), r.URL.Query().Get("db"), r.Header.Get("X-Tenant"))
		}
	}))
	defer srv.Close()
	require.NoError(t, c.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Data: map[string][]byte{"password": []byte(dbpass)}}))
	create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: secretive}
spec:
  parameters:
  - {name: token, sensitive: true}
  - {name: dbpass, valueFrom: {secretKeyRef: {name: db, key: password}}}
  actions:
  - name: call
    type: HTTP
    http: {url: "%[1]s/call?db=$(params.dbpass)", method: POST, headers: {X-Auth: "$(params.token)", X-Tenant: %[2]s}, body: '{"t": "$(params.token)"}'}
    rollback: {type: HTTP, http: {url: "%[1]s/undo", method: POST, headers: {X-Auth: "$(params.token)"}}}
  - name: fail
    type: HTTP
    http: {url: "%[1]s/fail?db=$(params.dbpass)", headers: {X-Auth: "$(params.token)", X-Tenant: %[2]s}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: secretive}
spec:
  stages: [{name: s, workflows: [{workflowRef: {name: secretive}}]}]
`, srv.URL, tenant))
	common := []string{"--kubeconfig", kubeconfig, "-n", ns, "-v", "--redact-header", "X-Tenant"}
	var written strings.Builder
	run := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := drctl(t, "", append(args, common...)...)
		require.Equal(t, wantCode, code, "drctl %v\n%s\n%s", args, out, errOut)
		written.WriteString(out + errOut)
		return out
	}
	run(0, "execute", "secretive", "-p", "token="+token, "--dry-run")
	run(1, "execute", "secretive", "-p", "token="+token, "--progress", "plain")
	out := run(1, "execute", "secretive", "-p", "token="+token, "--progress", "json")
	jsonLines(t, out) // every line a JSON record
	var execs v1alpha1.DRPlanExecutionList
	require.NoError(t, c.List(context.Background(), &execs, client.InNamespace(ns)))
	require.Len(t, execs.Items, 2)
	first := execs.Items[0].Name
	run(0, "describe", "execution", first)
	run(0, "get", "executions", "-o", "yaml")
	run(0, "history", "secretive")
	run(0, "revert", first, "--progress", "plain")

	var stored strings.Builder
	for _, list := range []client.ObjectList{&v1alpha1.DRPlanExecutionList{}, &corev1.EventList{}, &corev1.ConfigMapList{}} {
		require.NoError(t, c.List(context.Background(), list, client.InNamespace(ns)))
		data, err := json.Marshal(list)
		require.NoError(t, err)
		stored.Write(data)
	}
	for _, secret := range []string{token, dbpass, tenant} {
		assert.NotContains(t, written.String(), secret, "the CLI's output")
		assert.NotContains(t, stored.String(), secret, "the stored objects")
	}
	assert.Contains(t, written.String(), "echo REDACTED REDACTED REDACTED", "the failure message is kept, its secrets redacted")
}
