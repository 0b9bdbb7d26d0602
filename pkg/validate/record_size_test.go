package validate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// bigPlan is one workflow of actionsEach HTTP actions, run by each of stages stages.
func bigPlan(stages, actionsEach int) string {
	var b strings.Builder
	b.WriteString("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: wf, namespace: ns}\nspec:\n  actions:\n")
	for i := range actionsEach {
		fmt.Fprintf(&b, "  - {name: a%d, type: HTTP, http: {url: \"http://svc/%d\"}}\n", i, i)
	}
	b.WriteString("---\napiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: {name: big, namespace: ns}\nspec:\n  stages:\n")
	for i := range stages {
		fmt.Fprintf(&b, "  - {name: s%d, workflows: [{workflowRef: {name: wf}}]}\n", i)
	}
	return b.String()
}

// A plan whose run would record more than etcd stores in one object is flagged before it runs,
// with the largest that fits; a plan well within it is not.
func TestPlansWhoseRecordWouldNotFitInEtcdAreWarnedAbout(t *testing.T) {
	d := requireOne(t, run(t, bigPlan(60, 100)), SeverityWarning, "spec.stages", "6000 actions", "etcd refuses objects over 1.5 MiB", "split the plan")
	assert.Equal(t, "DRPlan", d.Kind)
	requireClean(t, run(t, bigPlan(20, 100)))
	assert.Equal(t, 4160, MaxRecordActions(20), "the figure the README states")
}
