package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

func TestNamesAndLabelValuesAreValidAndDistinct(t *testing.T) {
	long := strings.Repeat("very-long-plan-name-", 5)
	a := objectName(long+"exec", "action-one")
	b := objectName(long+"exec", "action-two")
	assert.LessOrEqual(t, len(a), 63)
	assert.NotEqual(t, a, b, "cut names keep a hash of the whole")
	assert.Empty(t, validation.IsDNS1123Label(a))
	assert.Equal(t, "exec-1-sync", objectName("exec-1", "sync"))
	assert.Equal(t, "exec-1-stage-2-sync", objectName("exec-1", "Stage", "2", "sync"))

	v := labelValue(strings.Repeat("w", 50) + ".action[2]/x")
	assert.LessOrEqual(t, len(v), 63)
	assert.Empty(t, validation.IsValidLabelValue(v))
	assert.Equal(t, "db.sync", labelValue("db.sync"))
}

func TestRepeatedActionNamesGetDistinctObjectNames(t *testing.T) {
	p := &program{stages: []*stageProgram{{name: "apps", workflows: []*workflowProgram{
		{steps: []*step{{name: "scale"}, {name: "only-once"}}},
		{steps: []*step{{name: "scale"}}},
	}}}}
	p.nameObjects("run-1")
	assert.Equal(t, "run-1-apps-0-scale", p.stages[0].workflows[0].steps[0].objectName)
	assert.Equal(t, "run-1-apps-1-scale", p.stages[0].workflows[1].steps[0].objectName)
	assert.Equal(t, "run-1-only-once", p.stages[0].workflows[0].steps[1].objectName)
}

// A workflow run more than once in a stage is named by the parameters that tell its runs apart;
// by its position where none do (sensitive values and the mode are never shown).
func TestWorkflowLabelsNameTheDistinguishingParameters(t *testing.T) {
	run := func(name string, params map[string]string) v1alpha1.WorkflowExecutionStatus {
		return v1alpha1.WorkflowExecutionStatus{WorkflowRef: v1alpha1.ObjectReference{Name: name}, ResolvedParams: params}
	}
	st := &v1alpha1.StageStatus{WorkflowExecutions: []v1alpha1.WorkflowExecutionStatus{
		run("service-failover", map[string]string{"service": "payment", "region": "eu", "mode": "Install", "token": Redacted}),
		run("service-failover", map[string]string{"service": "cart", "region": "eu", "mode": "Install", "token": Redacted}),
		run("notify", map[string]string{"service": "x"}),
		run("twin", map[string]string{"a": "1"}),
		run("twin", map[string]string{"a": "1"}),
	}}
	var got []string
	for j := range st.WorkflowExecutions {
		got = append(got, WorkflowLabel(st, j))
	}
	assert.Equal(t, []string{"service-failover(service=payment)", "service-failover(service=cart)", "notify", "twin[3]", "twin[4]"}, got)
}
