package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/faultproxy"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// sequence is a plan of one workflow of HTTP actions, in order, each answering after delay.
func sequence(url, plan string, actions ...string) string {
	return httpWorkflowYAML(plan, url, actions...) + fmt.Sprintf(`---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: %[1]s}
spec:
  stages: [{name: only, workflows: [{workflowRef: {name: %[1]s}}]}]
`, plan)
}

func httpWorkflowYAML(name, url string, actions ...string) string {
	s := fmt.Sprintf("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: %s}\nspec:\n  actions:\n", name)
	for _, a := range actions {
		s += fmt.Sprintf("  - {name: %s, type: HTTP, http: {url: %q, method: POST}}\n", a, url+"/"+name+"/"+a)
	}
	return s
}

// proxied starts a fault proxy in front of the tests' API server and returns a kubeconfig that
// goes through it.
func proxied(t *testing.T, kubeconfig string) (*faultproxy.Proxy, string) {
	t.Helper()
	u, err := url.Parse(testenv.Require(t, env).Config.Host)
	require.NoError(t, err)
	p, err := faultproxy.Start(u.Host)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p, kubeconfigVia(t, kubeconfig, p.Addr())
}

// TestSplitBrainThroughAPartition cuts runner A off from the API server (a proxy that drops every
// byte) for longer than its lease but shorter than its partition timeout, while runner B resumes
// the execution: A starts no action once cut off, and when A comes back it writes nothing — the
// record is B's alone, and every action in it matches what the HTTP target received.
func TestSplitBrainThroughAPartition(t *testing.T) {
	const trials = 6
	kubeconfig, ns, c := cluster(t)
	seed := testenv.Seed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	srv, hits := target(t, 300*time.Millisecond)
	actions := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	for i := range trials {
		plan := fmt.Sprintf("split-%d", i)
		create(t, c, ns, sequence(srv.URL, plan, actions...))
		proxy, viaProxy := proxied(t, kubeconfig)
		a := startDrctl(t, "execute", plan, "--name", plan, "--progress", "plain", "--lease-duration", "3s",
			"--partition-timeout", "60s", "--kubeconfig", viaProxy, "-n", ns)
		// Cut A at a random moment after its first action has started.
		require.Eventually(t, func() bool { return hits.snapshot()["/"+plan+"/a1"] == 1 }, 30*time.Second, 5*time.Millisecond)
		time.Sleep(time.Duration(rng.IntN(900)) * time.Millisecond)
		proxy.Cut()
		// A request of the action A had recorded Running just before the cut may still be on its
		// way to the target (it does not pass the proxy); nothing new can start once the cut
		// blocks A's record writes. Let it arrive before noting what was in flight.
		time.Sleep(300 * time.Millisecond)
		cutAt := hits.snapshot()

		code, out := runDrctl(t, "resume", plan, "--progress", "plain", "--lease-duration", "3s", "--kubeconfig", kubeconfig, "-n", ns)
		require.Equal(t, 0, code, "trial %d: B's resume:\n%s", i, out)
		exec := &v1alpha1.DRPlanExecution{}
		require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: plan}, exec))
		afterB := hits.snapshot()

		proxy.Heal()
		codeA := a.wait(t)
		assert.Equal(t, 5, codeA, "trial %d: A ends Unknown (it lost the plan):\n%s", i, a.output())
		final := &v1alpha1.DRPlanExecution{}
		require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: plan}, final))
		assert.Equal(t, exec.ResourceVersion, final.ResourceVersion, "trial %d: A wrote nothing after B took over", i)
		assert.Equal(t, afterB, hits.snapshot(), "trial %d: A started nothing when it came back", i)
		assert.Equal(t, v1alpha1.PhaseSucceeded, final.Status.Phase)

		twice := 0
		for _, name := range actions {
			path := "/" + plan + "/" + name
			n := afterB[path]
			assert.Equal(t, v1alpha1.PhaseSucceeded, actionPhase(final, name), "trial %d: %s", i, name)
			require.GreaterOrEqual(t, n, 1, "trial %d: %s recorded Succeeded but never sent", i, name)
			if n > 1 {
				twice++
				assert.Equal(t, 1, cutAt[path], "trial %d: only the action in flight at the cut is sent again", i)
			}
		}
		assert.LessOrEqual(t, twice, 1, "trial %d: at most the one action in flight when A was cut off runs twice", i)
	}
}

func actionPhase(exec *v1alpha1.DRPlanExecution, action string) v1alpha1.ExecutionPhase {
	for _, a := range exec.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses {
		if a.Name == action {
			return a.Phase
		}
	}
	return ""
}

// TestPartitionLongerThanTheTimeoutEndsUnknownThenResumes: a runner cut off from the API server for
// longer than --partition-timeout stops, records Unknown once it can, and exits 5; `drctl resume`
// finishes the run without repeating what finished.
func TestPartitionLongerThanTheTimeoutEndsUnknownThenResumes(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	srv, hits := target(t, 400*time.Millisecond)
	actions := []string{"a1", "a2", "a3", "a4"}
	create(t, c, ns, sequence(srv.URL, "cutoff", actions...))
	proxy, viaProxy := proxied(t, kubeconfig)
	a := startDrctl(t, "execute", "cutoff", "--name", "cutoff", "--progress", "plain", "--lease-duration", "3s",
		"--partition-timeout", "3s", "--kubeconfig", viaProxy, "-n", ns)
	require.Eventually(t, func() bool { return hits.snapshot()["/cutoff/a2"] == 1 }, 30*time.Second, 5*time.Millisecond)
	proxy.Cut()
	time.Sleep(5 * time.Second)
	proxy.Heal()
	require.Equal(t, 5, a.wait(t), a.output())
	assert.Contains(t, a.output(), "unreachable for more than 3s")
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "cutoff"}, exec))
	require.Equal(t, v1alpha1.PhaseUnknown, exec.Status.Phase, "recorded once the API server was back")
	assert.Equal(t, v1alpha1.PhaseSucceeded, actionPhase(exec, "a1"))
	assert.Equal(t, v1alpha1.PhasePending, actionPhase(exec, "a4"), "what had not started stays Pending, for resume")
	assert.Zero(t, hits.snapshot()["/cutoff/a3"], "nothing started during the partition")
	code, out := runDrctl(t, "status", "cutoff", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "Lock:            free, but cutoff (Unknown) has no live runner and blocks new runs: resume, revert or cancel it")

	code, out = runDrctl(t, "resume", "cutoff", "--progress", "plain", "--kubeconfig", kubeconfig, "-n", ns)
	require.Equal(t, 0, code, out)
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "cutoff"}, exec))
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.Phase)
	sent := hits.snapshot()
	for _, name := range actions {
		assert.Equal(t, 1, sent["/cutoff/"+name], "%s sent once", name)
	}
}

// TestAPIServerRestartMidRun stops kube-apiserver in the middle of a run and starts it again (same
// etcd, same port): the run goes on and ends Succeeded, every action sent once, the record right.
func TestAPIServerRestartMidRun(t *testing.T) {
	testenv.Require(t, env)
	own, err := testenv.Start(testenv.Options{Restartable: true, CertDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = own.Stop() })
	kubeconfig := own.Kubeconfig(t)
	c, err := client.New(own.Config, client.Options{Scheme: crd.NewScheme()})
	require.NoError(t, err)
	ns := "restart"
	require.NoError(t, c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	srv, hits := target(t, 300*time.Millisecond)
	actions := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"}
	create(t, c, ns, sequence(srv.URL, "restarted", actions...))

	run := startDrctl(t, "execute", "restarted", "--name", "restarted", "--progress", "plain", "--kubeconfig", kubeconfig, "-n", ns)
	require.Eventually(t, func() bool { return hits.snapshot()["/restarted/a3"] == 1 }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, own.RestartAPIServer(2*time.Second))
	require.Equal(t, 0, run.wait(t), run.output())

	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "restarted"}, exec))
	assert.Equal(t, v1alpha1.PhaseSucceeded, exec.Status.Phase)
	sent := hits.snapshot()
	for _, name := range actions {
		assert.Equal(t, v1alpha1.PhaseSucceeded, actionPhase(exec, name))
		assert.Equal(t, 1, sent["/restarted/"+name], "%s sent once", name)
	}
}
