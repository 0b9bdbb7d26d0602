package validate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUndefinedParameterIsAnErrorInEveryTemplatedField(t *testing.T) {
	for name, tc := range map[string]struct{ old, new, field string }{
		"url":      {"$(params.target)\"", "$(params.tagret)\"", "spec.actions[0].http.url"},
		"header":   {`X-Plan: "$(planName)"`, `X-Plan: "$(params.tagret)"`, "spec.actions[0].http.headers[X-Plan]"},
		"body":     {`{{ .params.target }}`, `{{ .params.tagret }}`, "spec.actions[0].http.body"},
		"manifest": {`replicas: "$(params.replicas)"`, `replicas: "$(params.tagret)"`, "spec.actions[1].resource.manifest"},
	} {
		t.Run(name, func(t *testing.T) {
			wf := strings.Replace(validWorkflow, tc.old, tc.new, 1)
			requireOne(t, run(t, wf), SeverityError, tc.field, `undefined parameter "tagret"`)
		})
	}
}

func TestUndefinedParameterInJobTemplateAndClusternetSpec(t *testing.T) {
	wf := validWorkflow + `  - name: sync
    type: Job
    job:
      template:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: sync
                image: "registry/sync:$(params.version)"
                args: ["--pod=$(POD_NAME)", "echo $(date)"]
  - name: localize
    type: Localization
    localization:
      name: mysql
      namespace: "{{ .params.clusterNamespace }}"
      spec:
        overridePolicy: ApplyNow
        feed: {apiVersion: apps/v1, kind: Deployment, name: mysql}
`
	diags := run(t, wf)
	requireOne(t, diags, SeverityError, "spec.actions[2].job.template.spec.template.spec.containers[0].image", `undefined parameter "version"`)
	requireOne(t, diags, SeverityError, "spec.actions[3].localization.namespace", `undefined parameter "clusterNamespace"`)
	assert.Len(t, only(diags, SeverityError), 2, "Kubernetes' $(POD_NAME) and a shell's $(date) are not drctl placeholders:\n"+dump(diags))
}

func TestUndeclaredParameterSuppliedByEveryPlanIsAWarning(t *testing.T) {
	wf := strings.Replace(validWorkflow, `X-Plan: "$(planName)"`, `X-Plan: "$(params.team)"`, 1)
	plan := strings.Replace(validPlan, "    value: cluster-b\n", "    value: cluster-b\n  - name: team\n    value: sre\n", 1)
	requireOne(t, run(t, docs(wf, plan)), SeverityWarning, "spec.actions[0].http.headers[X-Plan]", `parameter "team" is not declared`, "plan prod/prod-failover supplies it", "declare it in spec.parameters")

	// Validated alone, with its plans elsewhere (--allow-missing-refs): a warning too.
	requireOne(t, run(t, wf, Options{AllowMissingRefs: true}), SeverityWarning, "spec.actions[0].http.headers[X-Plan]", `undefined parameter "team"`, "a plan elsewhere must supply it")
	requireOne(t, run(t, wf), SeverityError, "spec.actions[0].http.headers[X-Plan]", `undefined parameter "team"`)

	// A second plan that does not supply it makes it an error naming that plan.
	other := strings.Replace(validPlan, "name: prod-failover", "name: dr-drill", 1)
	requireOne(t, run(t, docs(wf, plan, other)), SeverityError, "spec.actions[0].http.headers[X-Plan]", `undefined parameter "team"`, "not supplied by plan prod/dr-drill")
}

func TestRequiredParameterMustBeSupplied(t *testing.T) {
	plan := strings.Replace(validPlan, "  globalParams:\n  - name: target\n    value: cluster-b\n", "", 1)
	requireOne(t, run(t, docs(validWorkflow, plan)), SeverityError, "spec.stages[0].workflows[0].workflowRef", `requires parameter "target"`)

	// A required parameter that reads its value from the cluster needs no plan to supply it.
	fromCluster := strings.Replace(validWorkflow, "  - name: target\n    required: true\n", "  - name: target\n    required: true\n    valueFrom: {manifestRef: {apiVersion: v1, kind: ConfigMap, name: dr-target, jsonPath: '{.data.cluster}'}}\n", 1)
	assert.NotEqual(t, validWorkflow, fromCluster)
	requireClean(t, run(t, docs(fromCluster, plan)))

	// Supplied by the stage instead: fine.
	plan = strings.Replace(plan, "        name: mysql-failover\n", "        name: mysql-failover\n      params:\n      - name: target\n        value: cluster-c\n", 1)
	requireClean(t, run(t, docs(validWorkflow, plan)))
}

func TestUnknownStageParameterIsAWarning(t *testing.T) {
	plan := strings.Replace(validPlan, "        name: mysql-failover\n", "        name: mysql-failover\n      params:\n      - name: colour\n        value: blue\n", 1)
	requireOne(t, run(t, docs(validWorkflow, plan)), SeverityWarning, "spec.stages[0].workflows[0].params[0].name", `"colour" is not declared by workflow mysql-failover; it is ignored`)
}

func TestTypedParameterValuesMustParse(t *testing.T) {
	wf := strings.Replace(validWorkflow, `default: "3"`, `default: three`, 1)
	requireOne(t, run(t, wf), SeverityError, "spec.parameters[1].default", `"three"`, "not a number")

	wf = strings.Replace(validWorkflow, "    type: number\n    default: \"3\"\n", "    type: boolean\n    default: \"yes\"\n", 1)
	requireOne(t, run(t, wf), SeverityError, "spec.parameters[1].default", "not a boolean")

	// A plan's value for a number parameter is checked against the workflow's declared type.
	plan := strings.Replace(validPlan, "    value: cluster-b\n", "    value: cluster-b\n  - name: replicas\n    value: lots\n", 1)
	requireOne(t, run(t, docs(validWorkflow, plan)), SeverityError, "spec.globalParams[1].value", `"lots" for parameter "replicas" of workflow mysql-failover`, "not a number")
}

func TestParameterValuesMayNotReferenceParameters(t *testing.T) {
	plan := strings.Replace(validPlan, "value: cluster-b", `value: "$(params.other)"`, 1)
	requireOne(t, run(t, docs(validWorkflow, plan)), SeverityError, "spec.globalParams[0].value", "may not contain a placeholder")
}

func TestDefaultWithoutValueIsHonouredWithAWarning(t *testing.T) {
	plan := strings.Replace(validPlan, "value: cluster-b", "default: cluster-b", 1)
	diags := run(t, docs(validWorkflow, plan))
	requireOne(t, diags, SeverityWarning, "spec.globalParams[0].default", "use value", `"cluster-b"`)
	assert.Empty(t, only(diags, SeverityError), "the default counts as the supplied value:\n"+dump(diags))
}

func TestDuplicateAndInvalidParameterNames(t *testing.T) {
	wf := strings.Replace(validWorkflow, "  - name: replicas\n", "  - name: target\n", 1)
	requireOne(t, run(t, wf), SeverityError, "spec.parameters[1].name", `Duplicate value "target"`)
	wf = strings.Replace(validWorkflow, "  - name: replicas\n", "  - name: re plicas\n", 1)
	requireOne(t, run(t, wf), SeverityError, "spec.parameters[1].name", "letters, digits, '-' and '_'")
}

func TestTemplateSyntaxErrorsAreErrors(t *testing.T) {
	wf := strings.Replace(validWorkflow, `{{ .params.target }}`, `{{ .params.target `, 1)
	requireOne(t, run(t, wf), SeverityError, "spec.actions[0].http.body", "missing closing '}}'")
	wf = strings.Replace(validWorkflow, `$(planName)`, `{{ .plan }}`, 1)
	requireOne(t, run(t, wf), SeverityError, "spec.actions[0].http.headers[X-Plan]", `unknown name "plan"`)
}

func TestOutputReferences(t *testing.T) {
	wf := strings.Replace(validWorkflow, `X-Plan: "$(planName)"`, `X-Plan: "$(outputs.scale.name)"`, 1)
	requireOne(t, run(t, wf), SeverityError, "spec.actions[0].http.headers[X-Plan]", `action "scale" runs after this one`)

	wf = strings.Replace(validWorkflow, "name: failover-$(executionName)", "name: failover-$(outputs.notify.statusCode)", 1)
	requireClean(t, run(t, wf))

	wf = strings.Replace(validWorkflow, "name: failover-$(executionName)", "name: failover-$(outputs.nope.x)", 1)
	requireOne(t, run(t, wf), SeverityError, "spec.actions[1].resource.manifest", `the workflow has no action "nope"`)
}
