package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"
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
