package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// examples/rbac/drctl-operator.yaml is all drctl needs: a ServiceAccount bound to it (and to
// nothing else) executes, describes, lists and reverts a plan that reads a Secret and takes a
// sensitive -p value; one without the binding is refused.
func TestOperatorRoleExampleIsEnough(t *testing.T) {
	_, ns, c := cluster(t)
	ctx := context.Background()
	data, err := os.ReadFile("../../examples/rbac/drctl-operator.yaml")
	require.NoError(t, err)
	docs := strings.Split(string(data), "\n---\n")
	role := &rbacv1.ClusterRole{}
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[0]), role))
	if err := c.Create(ctx, role); err != nil && !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	binding := &rbacv1.RoleBinding{}
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[1]), binding))
	binding.Namespace = ns
	binding.Subjects = []rbacv1.Subject{{Kind: "ServiceAccount", Name: "operator", Namespace: ns}}
	require.NoError(t, c.Create(ctx, binding))
	for _, name := range []string{"operator", "stranger"} {
		require.NoError(t, c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}))
	}
	require.NoError(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns}, Data: map[string][]byte{"password": []byte("pw")}}))
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: web}
spec:
  parameters:
  - {name: token, sensitive: true}
  - {name: dbpass, valueFrom: {secretKeyRef: {name: db, key: password}}}
  actions:
  - name: switch
    type: HTTP
    http: {url: "%[1]s/switch", method: POST, headers: {X-Auth: "$(params.token)", X-DB: "$(params.dbpass)"}}
    rollback: {type: HTTP, http: {url: "%[1]s/undo", method: POST, headers: {X-Auth: "$(params.token)"}}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: web-failover}
spec:
  stages: [{name: web, workflows: [{workflowRef: {name: web}}]}]
`, srv.URL))

	as := func(account string, args ...string) (int, string) {
		code, out, errOut := drctl(t, "", append(args, "--kubeconfig", tokenKubeconfig(t, ns, account), "-n", ns)...)
		return code, out + errOut
	}
	code, out := as("stranger", "execute", "web-failover", "-p", "token=t0k")
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, "forbidden")

	code, out = as("operator", "execute", "web-failover", "-p", "token=t0k", "--progress", "plain")
	require.Equal(t, 0, code, out)
	name := strings.Fields(out[strings.Index(out, "execution "+ns+"/")+len("execution "+ns+"/"):])[0]
	for _, args := range [][]string{
		{"describe", "execution", name},
		{"get", "executions"},
		{"history", "web-failover"},
		{"revert", name, "--progress", "plain"},
	} {
		code, out = as("operator", args...)
		assert.Equal(t, 0, code, "drctl %v as the operator role:\n%s", args, out)
		assert.NotContains(t, out, "forbidden", "drctl %v", args)
	}
}
