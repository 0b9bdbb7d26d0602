package validate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// withAction appends an action to the valid workflow.
func withAction(action string) string { return validWorkflow + action }

func TestPatchNeedsARollback(t *testing.T) {
	for _, tc := range []struct{ typ, block string }{
		{"KubernetesResource", "    resource:\n      operation: Patch\n      manifest: |\n        apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: x}\n"},
		{"Localization", "    localization:\n      operation: Patch\n      name: x\n      namespace: clusternet-a\n      spec: {priority: 600}\n"},
		{"Subscription", "    subscription:\n      operation: Patch\n      name: x\n      spec:\n        feeds: [{apiVersion: v1, kind: ConfigMap, name: x}]\n        subscribers: [{clusterAffinity: {}}]\n"},
		{"Globalization", "    globalization:\n      operation: Patch\n      name: x\n      spec: {priority: 600}\n"},
		{"HelmChart", "    helmChart:\n      operation: Patch\n      name: x\n      namespace: default\n      spec: {repo: 'https://charts.example.com', chart: x, targetNamespace: apps}\n"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			wf := withAction("  - name: patch-it\n    type: " + tc.typ + "\n" + tc.block)
			requireOne(t, run(t, wf), SeverityError, "spec.actions[2].rollback", tc.typ+" operation Patch needs a rollback")
			withRollback := wf + "    rollback:\n      type: HTTP\n      http: {url: 'https://undo.example.com'}\n"
			requireClean(t, run(t, withRollback))
		})
	}
}

func TestRollbackIsValidatedAsAnAction(t *testing.T) {
	wf := withAction("  - name: dns\n    type: HTTP\n    http: {url: 'https://dns.example.com'}\n    rollback:\n      type: HTTP\n      http: {url: 'https://dns.example.com/undo', method: YEET}\n")
	requireOne(t, run(t, wf), SeverityError, "spec.actions[2].rollback.http.method", "Unsupported value", `"YEET"`)

	wf = withAction("  - name: dns\n    type: HTTP\n    http: {url: 'https://dns.example.com'}\n    rollback:\n      type: Job\n      http: {url: 'https://dns.example.com/undo'}\n")
	diags := run(t, wf)
	requireOne(t, diags, SeverityError, "spec.actions[2].rollback.job", "an action of type Job needs job")
	requireOne(t, diags, SeverityError, "spec.actions[2].rollback.http", "http is set but the action's type is Job")

	wf = withAction("  - name: dns\n    type: HTTP\n    http: {url: 'https://dns.example.com'}\n    rollback:\n      type: HTTP\n      http: {url: 'https://dns.example.com/undo'}\n      rollback: {type: HTTP, http: {url: 'https://x.example.com'}}\n")
	requireOne(t, run(t, wf), SeverityError, "spec.actions[2].rollback.rollback", "cannot have a rollback of its own")
}

func TestDependencyGraphs(t *testing.T) {
	plan := `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: p, namespace: prod}
spec:
  stages:
  - {name: a, dependsOn: [c], workflows: [{workflowRef: {name: w}}]}
  - {name: b, dependsOn: [a], workflows: [{workflowRef: {name: w}}]}
  - {name: c, dependsOn: [b], workflows: [{workflowRef: {name: w}}]}
  - {name: d, dependsOn: [d, zz], workflows: [{workflowRef: {name: w}}]}
  - {name: a, workflows: [{workflowRef: {name: w}}]}
`
	diags := run(t, plan, Options{AllowMissingRefs: true})
	requireOne(t, diags, SeverityError, "spec.stages[0].dependsOn", "dependency cycle: a -> c -> b -> a")
	requireOne(t, diags, SeverityError, "spec.stages[3].dependsOn[0]", `stage "d" depends on itself`)
	requireOne(t, diags, SeverityError, "spec.stages[3].dependsOn[1]", `"zz": no stage of that name`)
	requireOne(t, diags, SeverityError, "spec.stages[4].name", `Duplicate value "a"`)

	wf := strings.Replace(validWorkflow, "  - name: scale\n", "  - name: scale\n    dependsOn: [notify, scale]\n", 1)
	wf = strings.Replace(wf, "  - name: notify\n", "  - name: notify\n    dependsOn: [scale]\n", 1)
	diags = run(t, wf)
	requireOne(t, diags, SeverityError, "spec.actions[0].dependsOn", "dependency cycle: notify -> scale -> notify")
	requireOne(t, diags, SeverityError, "spec.actions[1].dependsOn[1]", `action "scale" depends on itself`)
}

func TestDurationsRetriesAndURLs(t *testing.T) {
	for name, tc := range map[string]struct{ old, new, field, msg string }{
		"timeout":    {"timeout: 30s", "timeout: 30 seconds", "spec.actions[0].timeout", "not a duration"},
		"negative":   {"timeout: 30s", "timeout: -1s", "spec.actions[0].timeout", "must be positive"},
		"interval":   {"interval: 1s", "interval: soon", "spec.actions[0].retryPolicy.interval", "not a duration"},
		"multiplier": {`backoffMultiplier: "1.5"`, `backoffMultiplier: "0.5"`, "spec.actions[0].retryPolicy.backoffMultiplier", "at least 1"},
		"limit":      {"limit: 2", "limit: -1", "spec.actions[0].retryPolicy.limit", "0 (no retry) or more"},
		"scheme":     {`url: "https://hooks.example.com/$(params.target)"`, `url: "ftp://hooks.example.com/$(params.target)"`, "spec.actions[0].http.url", "not an http or https URL"},
		"no host":    {`url: "https://hooks.example.com/$(params.target)"`, `url: "/relative/$(params.target)"`, "spec.actions[0].http.url", "not an http or https URL"},
	} {
		t.Run(name, func(t *testing.T) {
			wf := strings.Replace(validWorkflow, tc.old, tc.new, 1)
			requireOne(t, run(t, wf), SeverityError, tc.field, tc.msg)
		})
	}
	// A URL that starts with a placeholder may carry its scheme and host there.
	requireClean(t, run(t, strings.Replace(validWorkflow, `url: "https://hooks.example.com/$(params.target)"`, `url: "$(params.target)/health"`, 1)))
	// A placeholder duration is checked when rendered.
	requireClean(t, run(t, strings.Replace(validWorkflow, "timeout: 30s", `timeout: "$(params.replicas)m"`, 1)))
}

func TestManifestIsOneNamedObject(t *testing.T) {
	for name, tc := range map[string]struct{ manifest, msg string }{
		"two objects": {"apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: a}\n        ---\n        apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: b}", "exactly one object, found 2"},
		"no kind":     {"apiVersion: v1\n        metadata: {name: a}", "has no kind"},
		"no name":     {"apiVersion: v1\n        kind: ConfigMap\n        metadata: {generateName: a-}", "has no metadata.name"},
		"malformed":   {"apiVersion: v1\n        kind: [", "malformed manifest"},
	} {
		t.Run(name, func(t *testing.T) {
			wf := withAction("  - name: m\n    type: KubernetesResource\n    resource:\n      manifest: |\n        " + tc.manifest + "\n")
			requireOne(t, run(t, wf), SeverityError, "spec.actions[2].resource.manifest", tc.msg)
		})
	}
	// Placeholders anywhere in the manifest, braces included, are fine.
	wf := withAction("  - name: m\n    type: KubernetesResource\n    resource:\n      manifest: |\n        apiVersion: v1\n        kind: ConfigMap\n        metadata:\n          name: {{ .params.target }}\n          namespace: $(params.target)\n")
	requireClean(t, run(t, wf))
}

func TestTypeSpecificRequirements(t *testing.T) {
	diags := run(t, withAction("  - name: j\n    type: Job\n    job:\n      template:\n        spec:\n          template:\n            spec:\n              containers: []\n"))
	requireOne(t, diags, SeverityError, "spec.actions[2].job.template.spec.template.spec.containers", "at least one container")

	diags = run(t, withAction("  - name: l\n    type: Localization\n    localization:\n      name: x\n      namespace: clusternet-a\n      spec: {overridePolicy: ApplyNow}\n"))
	requireOne(t, diags, SeverityError, "spec.actions[2].localization.spec.feed", "Localization operation Create needs spec.feed")

	diags = run(t, withAction("  - name: s\n    type: Subscription\n    subscription:\n      name: x\n"))
	requireOne(t, diags, SeverityError, "spec.actions[2].subscription.spec", "operation Create needs spec")

	diags = run(t, withAction("  - name: s\n    type: Subscription\n    subscription:\n      name: x\n      spec: {schedulingStrategy: Replication}\n"))
	requireOne(t, diags, SeverityError, "spec.actions[2].subscription.spec.feeds", "Required value")
	requireOne(t, diags, SeverityError, "spec.actions[2].subscription.spec.subscribers", "Required value")

	diags = run(t, withAction("  - name: h\n    type: HTTP\n"))
	requireOne(t, diags, SeverityError, "spec.actions[2].http", "an action of type HTTP needs http")

	// Delete needs no spec.
	requireClean(t, run(t, withAction("  - name: l\n    type: Localization\n    localization: {operation: Delete, name: x, namespace: clusternet-a}\n")))
}

func TestExecutionRules(t *testing.T) {
	revert := strings.NewReplacer("name: prod-failover-1", "name: prod-failover-undo", "Execute", "Revert").Replace(validExecution)
	all := func(extra ...string) string {
		return docs(append([]string{validWorkflow, validPlan, validExecution}, extra...)...)
	}

	requireOne(t, run(t, all(revert)), SeverityError, "spec.revertExecutionRef", "must name the execution it reverts")
	requireClean(t, run(t, all(revert+"  revertExecutionRef: prod-failover-1\n")))
	requireOne(t, run(t, all(revert+"  revertExecutionRef: prod-failover-0\n")), SeverityError, "spec.revertExecutionRef", "Not found: DRPlanExecution prod/prod-failover-0")
	requireOne(t, run(t, all(revert+"  revertExecutionRef: prod-failover-undo\n")), SeverityError, "spec.revertExecutionRef", "cannot revert itself")

	second := strings.NewReplacer("name: prod-failover-undo", "name: undo-undo", "prod-failover-1", "prod-failover-undo").Replace(revert + "  revertExecutionRef: prod-failover-1\n")
	requireOne(t, run(t, all(revert+"  revertExecutionRef: prod-failover-1\n", second)), SeverityError, "spec.revertExecutionRef", "it is a Revert execution; only an Execute can be reverted")

	requireOne(t, run(t, docs(validWorkflow, validPlan, validExecution+"  revertExecutionRef: x\n")), SeverityError, "spec.revertExecutionRef", "only valid when operationType is Revert")

	withParams := validExecution + "  params:\n  - name: mode\n    value: Install\n  - name: bad name\n    value: x\n  - name: colour\n    value: blue\n"
	diags := run(t, docs(validWorkflow, validPlan, withParams))
	requireOne(t, diags, SeverityError, "spec.params[0].name", `"mode" is reserved; set spec.mode instead`)
	requireOne(t, diags, SeverityError, "spec.params[1].name", "letters, digits, '-' and '_'")
	requireOne(t, diags, SeverityWarning, "spec.params[2].name", `"colour" is neither declared nor used by any workflow of plan prod-failover`)
}

func TestMissingReferences(t *testing.T) {
	diags := run(t, docs(validPlan, validExecution))
	requireOne(t, diags, SeverityError, "spec.stages[0].workflows[0].workflowRef", "Not found: DRWorkflow prod/mysql-failover")

	diags = run(t, docs(validPlan, validExecution), Options{AllowMissingRefs: true})
	require.Empty(t, only(diags, SeverityError), dump(diags))
	requireOne(t, diags, SeverityWarning, "spec.stages[0].workflows[0].workflowRef", "Not found: DRWorkflow prod/mysql-failover")

	diags = run(t, validExecution)
	requireOne(t, diags, SeverityError, "spec.planRef", "Not found: DRPlan prod/prod-failover")

	// The reference's namespace defaults to the plan's: a workflow in another namespace does not match.
	other := strings.Replace(validWorkflow, "namespace: prod", "namespace: staging", 1)
	requireOne(t, run(t, docs(other, validPlan)), SeverityError, "spec.stages[0].workflows[0].workflowRef", "Not found: DRWorkflow prod/mysql-failover")
	withNS := strings.Replace(validPlan, "        name: mysql-failover\n", "        name: mysql-failover\n        namespace: staging\n", 1)
	requireClean(t, run(t, docs(other, withNS)))
}

func TestJSONPatchTypeIsRejected(t *testing.T) {
	wf := withAction("  - name: p\n    type: KubernetesResource\n    resource:\n      operation: Patch\n      patchType: JSON\n      manifest: |\n        apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: x}\n    rollback: {type: HTTP, http: {url: 'https://x.example.com'}}\n")
	requireOne(t, run(t, wf), SeverityError, "spec.actions[2].resource.patchType", "use Merge or Strategic")
}

func TestWorkflowWarnings(t *testing.T) {
	wf := strings.Replace(validWorkflow, "spec:\n", "spec:\n  executor: {type: Argo}\n", 1)
	requireOne(t, run(t, wf), SeverityWarning, "spec.executor.type", "native engine")
	wf = strings.Replace(validWorkflow, "      operation: Create\n", "      operation: Create\n      force: true\n      patchType: JSON\n", 1)
	diags := run(t, wf)
	requireOne(t, diags, SeverityWarning, "spec.actions[1].resource.force", "Apply only")
	requireOne(t, diags, SeverityWarning, "spec.actions[1].resource.patchType", "Patch only")
	assert.Empty(t, only(diags, SeverityError))
}

func TestWhenIsCEL(t *testing.T) {
	wf := withAction("  - name: on-install\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: mode == \"install\" || mode == \"upgrade\"\n" +
		"  - name: after-check\n    type: HTTP\n    http: {url: 'https://y.example.com'}\n    when: outputs[\"on-install\"].statusCode == \"200\" && operation == \"execute\"\n")
	requireClean(t, run(t, wf))

	d := requireOne(t, run(t, withAction("  - name: broken\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: mode ==\n")),
		SeverityError, "spec.actions[2].when", `Invalid value "mode =="`, "Syntax error")
	assert.Equal(t, strings.Count(validWorkflow, "\n")+4, d.Line, "the diagnostic points at the when line")

	requireOne(t, run(t, withAction("  - name: text\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: params.region\n")),
		SeverityError, "spec.actions[2].when", "yields string; a condition must yield a bool")
	requireOne(t, run(t, withAction("  - name: typo\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: stage == \"a\"\n")),
		SeverityError, "spec.actions[2].when", "undeclared reference to 'stage'")
	requireOne(t, run(t, withAction("  - name: capital\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: mode == \"Install\"\n")),
		SeverityWarning, "spec.actions[2].when", `write "install", not "Install"`)
}

func TestActionGraphs(t *testing.T) {
	head := "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: g, namespace: prod}\nspec:\n  actions:\n"
	http := func(name, url, deps string) string {
		return "  - {name: " + name + ", type: HTTP, http: {url: '" + url + "'}" + deps + "}\n"
	}
	// In a graph an action reads the outputs of what it depends on, declared before it or not.
	requireClean(t, run(t, head+http("join", "https://x.example.com/$(outputs.a.statusCode)/$(outputs.root.statusCode)", ", dependsOn: [a]")+
		http("a", "https://a.example.com", ", dependsOn: [root]")+http("root", "https://r.example.com", "")))
	// ...but not of an action that may still be running.
	requireOne(t, run(t, head+http("a", "https://a.example.com", "")+http("b", "https://b.example.com/$(outputs.a.statusCode)", ", dependsOn: [c]")+http("c", "https://c.example.com", "")),
		SeverityError, "spec.actions[1].http.url", `action "a" may not have run when this one starts`, `add "a" to dependsOn`)
	diags := run(t, head+http("a", "https://a.example.com", ", dependsOn: [b]")+http("b", "https://b.example.com", ", dependsOn: [a, nope]"))
	requireOne(t, diags, SeverityError, "spec.actions[0].dependsOn", "dependency cycle: a -> b -> a")
	requireOne(t, diags, SeverityError, "spec.actions[1].dependsOn[1]", `"nope": no action of that name`)
}

// A condition's parameters and outputs are held to the rules of placeholders.
func TestWhenNamesDeclaredParamsAndEarlierOutputs(t *testing.T) {
	diags := run(t, withAction("  - name: gated\n    type: HTTP\n    http: {url: 'https://x.example.com'}\n    when: params.nope == \"x\" && outputs.later.statusCode == \"200\" && outputs[\"notify\"].statusCode == \"200\"\n"+
		"  - name: later\n    type: HTTP\n    http: {url: 'https://y.example.com'}\n"))
	var at []string
	for _, d := range only(diags, SeverityError) {
		assert.Equal(t, "spec.actions[2].when", d.Field)
		at = append(at, d.Message)
	}
	require.Len(t, at, 2, dump(diags))
	assert.Contains(t, strings.Join(at, "\n"), `undefined parameter "nope"`)
	assert.Contains(t, strings.Join(at, "\n"), `output reference outputs["later"]: action "later" runs after this one`)
	assert.NotContains(t, strings.Join(at, "\n"), `"notify"`, "an earlier action's outputs are available")
}

// Stages run in order in a plan that names no dependsOn; a plan that names dependsOn for some
// stages only is warned about the others, which start with the run.
func TestStagesWithoutDependsOnRunInOrder(t *testing.T) {
	assert.Equal(t, [][]string{nil, {"a"}, {"b"}}, StageDependencies([]v1alpha1.Stage{{Name: "a"}, {Name: "b"}, {Name: "c"}}))
	assert.Equal(t, [][]string{nil, nil, {"a"}}, StageDependencies([]v1alpha1.Stage{{Name: "a"}, {Name: "b"}, {Name: "c", DependsOn: []string{"a"}}}))
	plan := `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: p, namespace: prod}
spec:
  stages:
  - {name: a, workflows: [{workflowRef: {name: w}}]}
  - {name: b, dependsOn: [a], workflows: [{workflowRef: {name: w}}]}
  - {name: c, workflows: [{workflowRef: {name: w}}]}
`
	requireOne(t, run(t, plan, Options{AllowMissingRefs: true}), SeverityWarning, "spec.stages[2].name",
		`stage "c" names no dependsOn while other stages do, so it starts with the run, at the same time as "a"; to run it after "b", add dependsOn: [b]`)
	inOrder := strings.ReplaceAll(plan, "dependsOn: [a], ", "")
	for _, d := range run(t, inOrder, Options{AllowMissingRefs: true}) {
		assert.NotContains(t, d.Message, "dependsOn", "a plan without dependsOn is not ambiguous")
	}
}

func TestAnActionApartFromTheGraphIsWarnedAbout(t *testing.T) {
	head := "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: g, namespace: prod}\nspec:\n  actions:\n"
	wf := head + "  - {name: a, type: HTTP, http: {url: 'https://a.example.com'}}\n" +
		"  - {name: b, type: HTTP, http: {url: 'https://b.example.com'}, dependsOn: [a]}\n" +
		"  - {name: tail, type: HTTP, http: {url: 'https://t.example.com'}}\n"
	requireOne(t, run(t, wf), SeverityWarning, "spec.actions[2].name",
		`action "tail" names no dependsOn while other actions do, so it starts with the workflow; to run it after "b", add dependsOn: [b]`)
}
