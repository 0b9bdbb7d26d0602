package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/testenv"
)

// checkResult is one row of `drctl check -o json`.
type checkResult struct {
	Action   string `json:"action"`
	Rollback bool   `json:"rollback"`
	Check    string `json:"check"`
	Result   string `json:"result"`
	Detail   string `json:"detail"`
	Fix      string `json:"fix"`
}

func checkJSON(t *testing.T, out string) (passed bool, results []checkResult) {
	t.Helper()
	var doc struct {
		Version int           `json:"version"`
		Passed  bool          `json:"passed"`
		Results []checkResult `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Equal(t, 1, doc.Version)
	return doc.Passed, doc.Results
}

// failures are the failed checks, as "action check: detail".
func failures(results []checkResult) []string {
	var out []string
	for _, r := range results {
		if r.Result == "FAIL" {
			out = append(out, fmt.Sprintf("%s %s: %s", r.Action, r.Check, r.Detail))
		}
	}
	return out
}

// drctl check on the real API server: what it catches, each as the user would meet it during
// the disaster, and a plan that passes.
func TestCheckCatchesWhatWouldFailARun(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	ctx := context.Background()
	var mu sync.Mutex
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method+" "+r.URL.Path)
		mu.Unlock()
	}))
	defer srv.Close()
	require.NoError(t, c.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}))
	create(t, c, ns, fmt.Sprintf(`apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: good}
spec:
  parameters: [{name: target, required: true}]
  actions:
  - name: announce
    type: HTTP
    http: {url: "%[1]s/announce/$(params.target)", method: POST}
  - name: config
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: primary}
        data: {cluster: "$(params.target)"}
  - name: mark
    type: KubernetesResource
    resource:
      operation: Patch
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: primary}
        data: {marked: "yes"}
    rollback:
      type: KubernetesResource
      resource:
        operation: Patch
        manifest: |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: primary}
          data: {marked: "no"}
  - name: route
    type: KubernetesResource
    resource:
      operation: Patch
      manifest: |
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {cluster: "$(params.target)"}}
    rollback:
      type: KubernetesResource
      resource:
        operation: Patch
        manifest: |
          apiVersion: v1
          kind: Service
          metadata: {name: web}
          spec: {selector: {cluster: cluster-a}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: good}
spec:
  globalParams: [{name: target, value: cluster-b}]
  stages: [{name: web, workflows: [{workflowRef: {name: good}}]}]
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: broken}
spec:
  actions:
  - name: widget
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w}
  - name: elsewhere
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c, namespace: no-such-namespace}
  - name: reroute
    type: KubernetesResource
    resource:
      operation: Patch
      manifest: |
        apiVersion: v1
        kind: Service
        metadata: {name: missing}
        spec: {selector: {cluster: b}}
    rollback:
      type: KubernetesResource
      resource:
        operation: Patch
        manifest: |
          apiVersion: v1
          kind: Service
          metadata: {name: missing}
          spec: {selector: {cluster: a}}
  - name: cleanup
    type: KubernetesResource
    resource:
      operation: Delete
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: already-gone}
  - name: page
    type: HTTP
    http: {url: "https://pager.no-such-host.invalid/page", method: POST}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: broken}
spec:
  stages: [{name: all, workflows: [{workflowRef: {name: broken}}]}]
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: secretive}
spec:
  parameters:
  - {name: password, valueFrom: {secretKeyRef: {name: db-credentials, key: password}}}
  actions:
  - name: call
    type: HTTP
    http: {url: "%[1]s/login", method: POST, headers: {X-Password: "$(params.password)"}}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: secretive}
spec:
  stages: [{name: all, workflows: [{workflowRef: {name: secretive}}]}]
`, srv.URL))
	admin := []string{"--kubeconfig", kubeconfig, "-n", ns}

	t.Run("a plan that would work passes, probing without the real method", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"check", "good", "--probe-http"}, admin...)...)
		require.Equal(t, 0, code, out+errOut)
		assert.Regexp(t, `web/good/announce\s+http\s+pass\s+HEAD http://127\.0\.0\.1:\d+/announce/cluster-b answered 200 OK`, out)
		assert.Regexp(t, `web/good/config\s+permission\s+pass\s+ConfigMap `+ns+`/primary: get, create configmaps in namespace `+ns, out)
		assert.Regexp(t, `web/good/config \(rollback\)\s+permission\s+pass\s+ConfigMap `+ns+`/primary: get, delete configmaps`, out)
		assert.Regexp(t, `web/good/route\s+object\s+pass\s+Service `+ns+`/web exists`, out)
		assert.Regexp(t, `web/good/mark\s+object\s+pass\s+ConfigMap `+ns+`/primary is made by an earlier action`, out)
		assert.Regexp(t, `web/good/announce \(rollback\)\s+revert\s+warn\s+a revert cannot undo it: HTTP actions have no automatic rollback`, out)
		assert.Regexp(t, `\(plan\)\s+runner\s+pass\s+create, get, update, patch, watch drplanexecutions.dr.bkbcs.tencent.com in namespace `+ns, out)
		assert.Contains(t, out, ns+"/good: ")
		assert.Contains(t, out, " 0 failed, ")
		mu.Lock()
		assert.Equal(t, []string{"HEAD /announce/cluster-b"}, methods, "a probe never sends the action's method")
		mu.Unlock()
		list := &corev1.ConfigMapList{}
		require.NoError(t, c.List(ctx, list, client.InNamespace(ns)))
		for _, cm := range list.Items {
			assert.NotEqual(t, "primary", cm.Name, "check changes nothing")
		}
	})

	t.Run("a missing CRD, namespace, object and host name", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"check", "broken", "-o", "json"}, admin...)...)
		require.Equal(t, 6, code, out+errOut)
		passed, results := checkJSON(t, out)
		assert.False(t, passed)
		assert.ElementsMatch(t, []string{
			"all/broken/widget kind: the cluster does not serve example.com/v1 Widget",
			"all/broken/widget kind: the cluster does not serve example.com/v1 Widget", // its rollback deletes it
			"all/broken/elsewhere namespace: namespace no-such-namespace does not exist",
			"all/broken/elsewhere namespace: namespace no-such-namespace does not exist",
			"all/broken/reroute object: Service " + ns + "/missing does not exist; the action needs it",
			"all/broken/reroute object: Service " + ns + "/missing does not exist; the action needs it", // and its rollback
		}, dropDNS(failures(results)), "a Delete of what is already gone is no failure")
		assert.Len(t, failures(results), 7, "and the host: %v", failures(results))
		assert.Contains(t, strings.Join(failures(results), "\n"), "all/broken/page dns: pager.no-such-host.invalid does not resolve")
	})

	t.Run("a parameter whose valueFrom does not resolve", func(t *testing.T) {
		code, out, errOut := drctl(t, "", append([]string{"check", "secretive"}, admin...)...)
		require.Equal(t, 6, code, out+errOut)
		assert.Regexp(t, `\(plan\)\s+plan\s+FAIL\s+.*db-credentials`, out)
	})

	t.Run("a user bound to a narrow Role", func(t *testing.T) {
		data, err := os.ReadFile("../../examples/rbac/drctl-operator.yaml")
		require.NoError(t, err)
		role := &rbacv1.ClusterRole{}
		require.NoError(t, yaml.UnmarshalStrict([]byte(strings.Split(string(data), "\n---\n")[0]), role))
		if err := c.Create(ctx, role); err != nil && !apierrors.IsAlreadyExists(err) {
			require.NoError(t, err)
		}
		require.NoError(t, c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns}}))
		require.NoError(t, c.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "operator", Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "drctl-operator"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "operator", Namespace: ns}}}))
		code, out, errOut := drctl(t, "", "check", "good", "-o", "json", "--kubeconfig", tokenKubeconfig(t, ns, "operator"), "-n", ns)
		require.Equal(t, 6, code, out+errOut)
		_, results := checkJSON(t, out)
		assert.Equal(t, []string{
			"web/good/mark permission: ConfigMap " + ns + "/primary: you may not patch configmaps in namespace " + ns,
			"web/good/mark permission: ConfigMap " + ns + "/primary: you may not patch configmaps in namespace " + ns,
			"web/good/route permission: Service " + ns + "/web: you may not patch services in namespace " + ns,
			"web/good/route permission: Service " + ns + "/web: you may not patch services in namespace " + ns, // its rollback patches too
		}, failures(results), "the operator role runs plans (it may create ConfigMaps, the journal's kind); patching is the plan's own business")
		for _, r := range results {
			if r.Result == "FAIL" {
				assert.Regexp(t, `^grant patch on (configmaps|services) in namespace `+ns+` \(a Role and RoleBinding, see examples/rbac\)$`, r.Fix)
			}
		}
	})
}

func dropDNS(failures []string) []string {
	var out []string
	for _, f := range failures {
		if !strings.Contains(f, " dns: ") {
			out = append(out, f)
		}
	}
	return out
}

// The e-commerce example passes its check once what it acts on exists (the demo's fixtures,
// Clusternet's CRDs, the Deployments its Localizations feed) and its endpoints are given, as
// make demo gives them.
func TestCheckPassesTheEcommerceExample(t *testing.T) {
	e := testenv.Require(t, env)
	kubeconfig, _, c := cluster(t)
	ctx := context.Background()
	_, err := envtest.InstallCRDs(e.Config, envtest.CRDInstallOptions{CRDs: testenv.ClusternetCRDs()})
	require.NoError(t, err)
	assets, err := testenv.AssetsDir()
	require.NoError(t, err)
	apply := exec.Command(filepath.Join(assets, "kubectl"), "apply", "--server-side", "--force-conflicts", "--kubeconfig", kubeconfig,
		"-f", "../../hack/demo/fixtures.yaml", "-f", "../../examples/ecommerce/plan.yaml", "-f", "../../examples/ecommerce/workflows/")
	out, err := apply.CombinedOutput()
	require.NoError(t, err, "%s", out)
	// What the hub would hold: the objects the plan's Localizations and Subscription distribute.
	require.NoError(t, c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kafka-mirrormaker-config", Namespace: "ecommerce"}}))
	for _, name := range []string{"order-service", "payment-service", "user-service", "frontend", "kafka-mirrormaker"} {
		labels := map[string]string{"app": name}
		err := c.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ecommerce"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "shop/" + name}}}}}})
		if !apierrors.IsAlreadyExists(err) {
			require.NoError(t, err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	code, stdout, errOut := drctl(t, "", "check", "ecommerce-failover", "-n", "ecommerce", "--kubeconfig", kubeconfig, "--probe-http",
		"-p", "notifyURL="+srv.URL+"/chat", "-p", "orchestratorURL="+srv.URL+"/orchestrator", "-p", "kafkaRouterURL="+srv.URL+"/kafka-router",
		"-p", "storefrontURL="+srv.URL+"/shop", "-p", "paymentsURL="+srv.URL+"/pay")
	assert.Equal(t, 0, code, stdout+errOut)
	assert.Contains(t, stdout, "ecommerce/ecommerce-failover: ")
	assert.Contains(t, stdout, " 0 failed, ")
	assert.Regexp(t, `applications/service-failover\(replicas=6,service=order-service\)/scale-up-target\s+object\s+pass\s+Deployment ecommerce/order-service exists`, stdout,
		"the Localization's feed")
}
