package validate

import (
	"fmt"
	"strings"
	"testing"
)

// jobAction adds a Job, whose schema is most of the DRWorkflow CRD, to each workflow.
const jobAction = `  - name: promote
    type: Job
    timeout: 10m
    job:
      template:
        spec:
          backoffLimit: 1
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: promote
                image: mysql:8.4
                command: ["sh", "-c", "mysql -h $(params.target) -e 'STOP REPLICA'"]
                resources:
                  limits: {cpu: 500m, memory: 256Mi}
`

// corpus returns n workflows (three actions each: HTTP, KubernetesResource, Job) and n plans (each plan referencing two workflows over two stages),
// as one YAML stream, shaped like validWorkflow and validPlan.
func corpus(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		wf := strings.Replace(validWorkflow, "name: mysql-failover", fmt.Sprintf("name: wf-%d", i), 1)
		b.WriteString(wf)
		b.WriteString(jobAction)
		b.WriteString("---\n")
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata:
  name: plan-%d
  namespace: prod
spec:
  globalParams:
  - name: target
    value: cluster-b
  stages:
  - name: first
    workflows:
    - workflowRef: {name: wf-%d}
  - name: second
    dependsOn: [first]
    workflows:
    - workflowRef: {name: wf-%d}
      params:
      - {name: replicas, value: "5"}
---
`, i, i, (i+1)%n)
	}
	return b.String()
}

// BenchmarkValidate500Plans500Workflows measures `drctl validate` on 500 plans and 500 workflows
// (the spec's scale target of 500 plans per cluster): loading, schema, rules and references.
func BenchmarkValidate500Plans500Workflows(b *testing.B) {
	input := corpus(500)
	diags, n := ValidatePaths([]string{StdinPath}, strings.NewReader(input), Options{})
	if n != 1000 || len(only(diags, SeverityError)) > 0 || len(only(diags, SeverityWarning)) > 0 {
		b.Fatalf("corpus is not clean: %d documents\n%s", n, dump(diags[:min(len(diags), 5)]))
	}
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for b.Loop() {
		ValidatePaths([]string{StdinPath}, strings.NewReader(input), Options{})
	}
}
