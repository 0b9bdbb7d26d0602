package validate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// run validates YAML given as stdin and returns the sorted diagnostics.
func run(t *testing.T, yaml string, opts ...Options) []Diagnostic {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	diags, _ := ValidatePaths([]string{StdinPath}, strings.NewReader(yaml), o)
	return diags
}

// only returns the diagnostics of severity sev.
func only(diags []Diagnostic, sev Severity) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		if d.Severity == sev {
			out = append(out, d)
		}
	}
	return out
}

// requireOne asserts exactly one diagnostic of severity sev, at field, whose message contains
// every fragment, and returns it.
func requireOne(t *testing.T, diags []Diagnostic, sev Severity, field string, fragments ...string) Diagnostic {
	t.Helper()
	var match []Diagnostic
	for _, d := range only(diags, sev) {
		if d.Field == field {
			match = append(match, d)
		}
	}
	require.Len(t, match, 1, "want one %s at %q, got:\n%s", sev, field, dump(diags))
	for _, f := range fragments {
		require.Contains(t, match[0].Message, f, dump(diags))
	}
	return match[0]
}

func requireClean(t *testing.T, diags []Diagnostic) {
	t.Helper()
	require.Empty(t, only(diags, SeverityError), dump(diags))
	require.Empty(t, only(diags, SeverityWarning), dump(diags))
}

func dump(diags []Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// A valid workflow, plan and execution the tests modify one field at a time.
const validWorkflow = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata:
  name: mysql-failover
  namespace: prod
spec:
  parameters:
  - name: target
    required: true
  - name: replicas
    type: number
    default: "3"
  actions:
  - name: notify
    type: HTTP
    http:
      url: "https://hooks.example.com/$(params.target)"
      method: POST
      headers:
        X-Plan: "$(planName)"
      body: '{"cluster": "{{ .params.target }}"}'
    timeout: 30s
    retryPolicy:
      limit: 2
      interval: 1s
      backoffMultiplier: "1.5"
  - name: scale
    type: KubernetesResource
    resource:
      operation: Create
      manifest: |
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: failover-$(executionName)
        data:
          replicas: "$(params.replicas)"
`

const validPlan = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata:
  name: prod-failover
  namespace: prod
spec:
  globalParams:
  - name: target
    value: cluster-b
  stages:
  - name: db
    workflows:
    - workflowRef:
        name: mysql-failover
`

const validExecution = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlanExecution
metadata:
  name: prod-failover-1
  namespace: prod
spec:
  planRef: prod-failover
  operationType: Execute
`

func docs(parts ...string) string {
	return strings.Join(parts, "---\n")
}
