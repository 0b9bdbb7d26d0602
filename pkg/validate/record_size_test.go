package validate

import (
	"crypto/sha256"
	"encoding/hex"
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

// The workflows' specs count too: the record keeps them, compressed. Few actions with large,
// incompressible bodies outgrow etcd as surely as many small ones.
func TestLargeWorkflowSpecsCountTowardsTheRecord(t *testing.T) {
	var b strings.Builder
	seed := sha256.Sum256([]byte("drctl"))
	for w := range 4 {
		fmt.Fprintf(&b, "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata: {name: wf%d, namespace: ns}\nspec:\n  actions:\n", w)
		for i := range 150 {
			var body strings.Builder
			for body.Len() < 4096 {
				seed = sha256.Sum256(seed[:])
				body.WriteString(hex.EncodeToString(seed[:]))
			}
			fmt.Fprintf(&b, "  - {name: a%d, type: HTTP, http: {url: \"http://svc/%d\", method: POST, body: %q}}\n", i, i, body.String())
		}
		b.WriteString("---\n")
	}
	b.WriteString("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRPlan\nmetadata: {name: big, namespace: ns}\nspec:\n  stages:\n")
	for w := range 4 {
		fmt.Fprintf(&b, "  - {name: s%d, workflows: [{workflowRef: {name: wf%d}}]}\n", w, w)
	}
	requireOne(t, run(t, b.String()), SeverityWarning, "spec.stages", "600 actions", "of workflow specs (compressed)", "etcd refuses objects over 1.5 MiB")
}
