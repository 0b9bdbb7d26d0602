package validate_test

import (
	"fmt"
	"strings"

	"github.com/drctl/drctl/pkg/validate"
)

// Validate documents from any reader; every diagnostic names its place and field.
func ExampleValidatePaths() {
	plan := `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover, namespace: ops}
spec:
  stages:
  - name: db
    dependsOn: [db]
    workflows:
    - workflowRef: {name: mysql-failover}
`
	diags, n := validate.ValidatePaths([]string{validate.StdinPath}, strings.NewReader(plan), validate.Options{AllowMissingRefs: true})
	fmt.Println(n, "document")
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// 1 document
	// <stdin>:7:17: error: DRPlan ops/failover: spec.stages[0].dependsOn[0]: Invalid value "db": stage "db" depends on itself
	// <stdin>:9:7: warning: DRPlan ops/failover: spec.stages[0].workflows[0].workflowRef: Not found: DRWorkflow ops/mysql-failover
}
