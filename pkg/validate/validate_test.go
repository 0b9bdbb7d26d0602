package validate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidSetIsClean(t *testing.T) {
	requireClean(t, run(t, docs(validWorkflow, validPlan, validExecution)))
}

func TestUnknownFieldIsAnErrorWithItsPath(t *testing.T) {
	wf := strings.Replace(validWorkflow, "      method: POST\n", "      method: POST\n      retries: 3\n", 1)
	d := requireOne(t, run(t, wf), SeverityError, "spec.actions[0].http.retries", `unknown field "retries"`)
	assert.Equal(t, "<stdin>", d.File)
	assert.Equal(t, 19, d.Line)
	assert.Equal(t, 7, d.Column)
	assert.Equal(t, "DRWorkflow", d.Kind)
	assert.Equal(t, "prod", d.Namespace)
	assert.Equal(t, "mysql-failover", d.Name)
}

func TestUnknownFieldInsideRollbackIsFound(t *testing.T) {
	wf := strings.Replace(validWorkflow, "    timeout: 30s\n", "    timeout: 30s\n    rollback:\n      type: HTTP\n      http:\n        url: https://x.example.com\n        bodyy: x\n", 1)
	requireOne(t, run(t, wf), SeverityError, "spec.actions[0].rollback.http.bodyy", `unknown field "bodyy"`)
}

func TestMalformedYAMLReportsLineAndColumn(t *testing.T) {
	diags := run(t, "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata:\n  name: [a, b\nspec: {}\n")
	require.Len(t, diags, 1)
	assert.Equal(t, SeverityError, diags[0].Severity)
	assert.Contains(t, diags[0].Message, "malformed YAML")
	assert.Equal(t, 5, diags[0].Line)
	assert.Positive(t, diags[0].Column)
	assert.Regexp(t, `^<stdin>:5:\d+: error: malformed YAML`, diags[0].String())
}

func TestMalformedDocumentDoesNotHideTheOthers(t *testing.T) {
	diags := run(t, docs("kind: [\n", validWorkflow, validPlan))
	require.Len(t, only(diags, SeverityError), 1, dump(diags))
	assert.Equal(t, 1, only(diags, SeverityError)[0].Line)
}

func TestLinesCountAcrossDocuments(t *testing.T) {
	wf := strings.Replace(validWorkflow, "      method: POST\n", "      method: FETCH\n", 1)
	d := requireOne(t, run(t, docs(validPlan, wf)), SeverityError, "spec.actions[0].http.method", "Unsupported value", `"FETCH"`)
	assert.Equal(t, strings.Count(validPlan, "\n")+1+18, d.Line, "line in the second document, counted from the top of the stream")
}

func TestSchemaRulesApplyOffline(t *testing.T) {
	for name, tc := range map[string]struct {
		doc, field, msg string
	}{
		"enum":              {strings.Replace(validPlan, "spec:\n", "spec:\n  failurePolicy: Retry\n", 1), "spec.failurePolicy", "Unsupported value"},
		"empty stages":      {strings.Replace(validPlan, validPlan[strings.Index(validPlan, "  stages:"):], "  stages: []\n", 1), "spec.stages", "at least 1"},
		"empty actions":     {validWorkflow[:strings.Index(validWorkflow, "  actions:")] + "  actions: []\n", "spec.actions", "at least 1"},
		"missing planRef":   {strings.Replace(validExecution, "  planRef: prod-failover\n", "", 1), "spec.planRef", "Required value"},
		"operationType":     {strings.Replace(validExecution, "Execute", "Rollforward", 1), "spec.operationType", "Unsupported value"},
		"wrong scalar type": {strings.Replace(validPlan, "  - name: db\n", "  - name: db\n    parallel: maybe\n", 1), "spec.stages[0].parallel", "boolean"},
		"bad name":          {strings.Replace(validPlan, "name: prod-failover", "name: Prod_Failover", 1), "metadata.name", "RFC 1123"},
	} {
		t.Run(name, func(t *testing.T) {
			requireOne(t, run(t, tc.doc, Options{AllowMissingRefs: true}), SeverityError, tc.field, tc.msg)
		})
	}
}

func TestOtherKindsAreSkippedWithInfo(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
	kust := "resources:\n- plan.yaml\n"
	diags := run(t, docs(cm, kust, validWorkflow, validPlan))
	requireClean(t, diags)
	infos := only(diags, SeverityInfo)
	require.Len(t, infos, 2)
	assert.Contains(t, infos[0].Message, "skipped ConfigMap settings")
	assert.Contains(t, infos[1].Message, "skipped document without kind")
}

func TestUnknownDrctlKindOrVersionIsAnError(t *testing.T) {
	diags := run(t, strings.Replace(validPlan, "kind: DRPlan", "kind: DRPlans", 1))
	requireOne(t, diags, SeverityError, "kind", `unknown kind "DRPlans"`)
	diags = run(t, strings.Replace(validPlan, "v1alpha1", "v1", 1))
	requireOne(t, diags, SeverityError, "apiVersion", `unsupported apiVersion "dr.bkbcs.tencent.com/v1"`)
}

func TestDuplicateDocumentsAreAnError(t *testing.T) {
	requireOne(t, run(t, docs(validWorkflow, validPlan, validWorkflow)), SeverityError, "metadata.name", "DRWorkflow prod/mysql-failover is also defined at <stdin>:1:1")
}

func TestStatusIsIgnoredAsTheAPIServerIgnoresItOnCreate(t *testing.T) {
	exec := validExecution + "status:\n  phase: Cancelled\n  whatever: 1\n"
	requireClean(t, run(t, docs(validWorkflow, validPlan, exec)))
}

func TestMetadataRulesOfTheAPIServer(t *testing.T) {
	plan := strings.Replace(validPlan, "  namespace: prod\n", "  namespace: Prod\n  labels:\n    team/a/b: x\n", 1)
	diags := run(t, plan, Options{AllowMissingRefs: true})
	requireOne(t, diags, SeverityError, "metadata.namespace", `"Prod"`)
	requireOne(t, diags, SeverityError, "metadata.labels", `"team/a/b"`)
	noName := strings.Replace(validPlan, "  name: prod-failover\n", "", 1)
	requireOne(t, run(t, noName, Options{AllowMissingRefs: true}), SeverityError, "metadata.name", "name or generateName is required")
}

func TestListsAreExpandedLikeKubectlOutput(t *testing.T) {
	item := func(doc string) string { // a document as an item of a YAML sequence
		return "- " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
	}
	list := "apiVersion: v1\nkind: List\nitems:\n" + item(validWorkflow) + item(strings.Replace(validPlan, "spec:\n", "spec:\n  bogus: 1\n", 1))
	diags := run(t, list)
	d := requireOne(t, diags, SeverityError, "spec.bogus", `unknown field "bogus"`)
	assert.Equal(t, "DRPlan", d.Kind)
	assert.Equal(t, strings.Count(validWorkflow, "\n")+3+7, d.Line, "the line inside the List:\n%s", list)
	assert.Len(t, only(diags, SeverityError), 1, dump(diags))
}

func TestDrctlKindWithoutItsAPIVersionIsAnError(t *testing.T) {
	requireOne(t, run(t, strings.Replace(validPlan, "apiVersion: dr.bkbcs.tencent.com/v1alpha1\n", "", 1)), SeverityError, "apiVersion", "DRPlan needs apiVersion dr.bkbcs.tencent.com/v1alpha1")
}
