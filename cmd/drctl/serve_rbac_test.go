package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/controller"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// tokenKubeconfig is a kubeconfig that authenticates as ServiceAccount namespace/name.
func tokenKubeconfig(t *testing.T, namespace, name string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	require.NoError(t, err)
	tok, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(3600))}}, metav1.CreateOptions{})
	require.NoError(t, err)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: env.Config.CAData}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts["sa"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "sa"}
	cfg.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "sa.kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// pointWebhooksAt makes the webhook configurations name call addr instead of their Service, for
// namespace only.
func pointWebhooksAt(t *testing.T, c client.Client, name, addr, namespace string) {
	t.Helper()
	ctx := context.Background()
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	require.NoError(t, c.Get(ctx, client.ObjectKey{Name: name}, v))
	require.NoError(t, c.Get(ctx, client.ObjectKey{Name: name}, m))
	var configs []*admissionregistrationv1.WebhookClientConfig
	var selectors []**metav1.LabelSelector
	for i := range v.Webhooks {
		configs, selectors = append(configs, &v.Webhooks[i].ClientConfig), append(selectors, &v.Webhooks[i].NamespaceSelector)
	}
	for i := range m.Webhooks {
		configs, selectors = append(configs, &m.Webhooks[i].ClientConfig), append(selectors, &m.Webhooks[i].NamespaceSelector)
	}
	for i, cfg := range configs {
		url := "https://" + addr + *cfg.Service.Path
		*cfg = admissionregistrationv1.WebhookClientConfig{URL: &url}
		*selectors[i] = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": namespace}}
	}
	require.NoError(t, c.Update(ctx, v))
	require.NoError(t, c.Update(ctx, m))
}

// permission is one verb on one resource of one API group.
type permission struct{ group, resource, verb string }

func (p permission) String() string { return fmt.Sprintf("%s %s/%s", p.verb, p.group, p.resource) }

// audited reads from the API server's audit log the permissions user exercised (any answer but
// Forbidden) and the ones it was refused.
func audited(t *testing.T, user string) (used, refused map[permission]bool) {
	t.Helper()
	f, err := os.Open(env.AuditLog)
	require.NoError(t, err)
	defer f.Close()
	used, refused = map[permission]bool{}, map[permission]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct {
			Verb             string `json:"verb"`
			User             struct{ Username string }
			ImpersonatedUser *struct{ Username string } `json:"impersonatedUser"`
			ObjectRef        *struct {
				Resource, Subresource, APIGroup, Namespace string
			} `json:"objectRef"`
			ResponseStatus *struct{ Code int } `json:"responseStatus"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		if ev.User.Username != user || ev.ObjectRef == nil {
			continue
		}
		if ev.ImpersonatedUser != nil { // an action, as the plan's account: the controller impersonated
			used[permission{"", "serviceaccounts", "impersonate"}] = true
			continue
		}
		res := ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			res += "/" + ev.ObjectRef.Subresource
		}
		p := permission{ev.ObjectRef.APIGroup, res, ev.Verb}
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code == http.StatusForbidden {
			refused[p] = true
		} else {
			used[p] = true
		}
	}
	require.NoError(t, sc.Err())
	return used, refused
}

// granted expands RBAC rules into permissions.
func granted(rules []rbacv1.PolicyRule) map[permission]bool {
	out := map[permission]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[permission{g, res, v}] = true
				}
			}
		}
	}
	return out
}

func sortedPermissions(m map[permission]bool) []string {
	var out []string
	for p := range m {
		out = append(out, p.String())
	}
	sort.Strings(out)
	return out
}

// notExercised are granted permissions the scenario below cannot show in use, each with why it
// is needed anyway.
var notExercised = map[permission]string{
	{"dr.bkbcs.tencent.com", "drplans", "list"}:                  "informers list when the API server cannot send the initial list in a watch",
	{"dr.bkbcs.tencent.com", "drplanexecutions/status", "patch"}: "when a run's full end cannot be written, the phase alone is written in a small patch",
	{"", "configmaps", "get"}:                                    "a resume, or the cancel of a run whose runner died, reads the execution's journal",
	{"", "secrets", "update"}:                                    "a certificate with less than a month left is renewed in its Secret",
	{"dr.bkbcs.tencent.com", "drplanexecutions", "list"}:         "informers list when the API server cannot send the initial list in a watch",
	{"dr.bkbcs.tencent.com", "drworkflows", "list"}:              "informers list when the API server cannot send the initial list in a watch",
	{"", "events", "patch"}:                                      "leader election's event recorder patches an event that repeats instead of creating another",
}

// `drctl install --serve` installs a ServiceAccount and RBAC under which serve does its whole job —
// admission, certificate, leader election, a run that impersonates its plan's ServiceAccount —
// without one refusal, and every permission granted is used (the API server's audit log says
// which were): the role grants what the code calls and no more.
func TestServeRBACGrantsWhatServeCallsAndNoMore(t *testing.T) {
	testenv.Require(t, env)
	require.NotEmpty(t, env.AuditLog)
	adminKubeconfig, ns, c := cluster(t)
	system := "sys-" + ns
	code, out := runDrctl(t, "install", "--serve", "-n", system, "--image", "drctl:test", "--kubeconfig", adminKubeconfig)
	require.Equal(t, 0, code, out)
	t.Cleanup(func() {
		ctx := context.Background()
		_ = c.Delete(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: controller.DefaultWebhookConfigurationName}})
		_ = c.Delete(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: controller.DefaultWebhookConfigurationName}})
	})
	assert.Contains(t, out, "deployment.apps/drctl-serve applied")

	// The installed webhooks call the Service of pods that cannot run here (no kubelet): point
	// them at the serve process of this test instead, for this namespace only.
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	ctx := context.Background()
	pointWebhooksAt(t, c, controller.DefaultWebhookConfigurationName, addr, ns)

	// The plan's own account may write ConfigMaps in its namespace: its actions act as it.
	require.NoError(t, c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "runner"}}))
	require.NoError(t, c.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "runner"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}}))
	require.NoError(t, c.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "runner"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "runner"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "runner", Namespace: ns}}}))

	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	asServe := tokenKubeconfig(t, system, controller.ServeName)
	start := func() *serveProcess {
		return startServe(t, asServe, ns, "--allow-controller-identity=false", "--system-namespace", system, "--leader-elect",
			"--leader-election-lease-duration", "3s", "--webhook-port", port, "--webhook-host", host)
	}
	s := start()

	// Admission (the webhook reads through serve's cache and index), a run to its end.
	require.Eventually(t, func() bool {
		return createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: steps}
spec:
  actions:
  - {name: call, type: HTTP, http: {url: "`+srv.URL+`/call", method: POST}}
  - name: marker
    type: KubernetesResource
    resource:
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "marker-$(executionName)"}
`, &v1alpha1.DRWorkflow{}) == nil
	}, 20*time.Second, 200*time.Millisecond, "the workflow was never admitted")
	require.NoError(t, createYAML(c, ns, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: bounded}
spec:
  serviceAccountName: runner
  stages: [{name: only, workflows: [{workflowRef: {name: steps}}]}]
`, &v1alpha1.DRPlan{}))
	err := c.Delete(ctx, &v1alpha1.DRWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "steps"}})
	require.Error(t, err, "a referenced workflow is protected")
	require.Eventually(t, func() bool {
		p := &v1alpha1.DRPlan{}
		return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "bounded"}, p) == nil && p.Status.Phase == v1alpha1.PlanReady
	}, 20*time.Second, 100*time.Millisecond, "the plan never turned Ready")
	require.NoError(t, c.Create(ctx, &v1alpha1.DRPlanExecution{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rbac-1"},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "bounded", OperationType: v1alpha1.OperationExecute}}))
	got := awaitExecution(t, c, ns, "rbac-1", v1alpha1.PhaseSucceeded, 30*time.Second)
	assert.Equal(t, v1alpha1.PhaseSucceeded, got.Status.Phase)

	// A second start reads the certificate the first made; stopping steps down from the election.
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, s.cmd.Wait())
	s = start()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, s.cmd.Wait())

	used, refused := audited(t, "system:serviceaccount:"+system+":"+controller.ServeName)
	assert.Empty(t, sortedPermissions(refused), "serve was refused what it needs: the role grants too little")
	want := granted(append(controller.ClusterRules(), controller.NamespaceRules()...))
	var unused []string
	for p := range want {
		if !used[p] {
			if _, ok := notExercised[p]; !ok {
				unused = append(unused, p.String())
			}
		}
	}
	slices.Sort(unused)
	assert.Empty(t, unused, "granted but never used: the role grants too much (used: %v)", sortedPermissions(used))
	var outside []string
	for p := range used {
		if !want[p] {
			outside = append(outside, p.String())
		}
	}
	assert.Empty(t, outside, "used without a rule granting it (granted by a default role, say): %v", strings.Join(outside, ", "))
}
