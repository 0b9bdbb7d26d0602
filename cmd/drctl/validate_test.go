package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/validate"
)

// drctl runs the command line with test streams and returns the exit code and output.
func drctl(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code = run(context.Background(), streams, args)
	return code, out.String(), errOut.String()
}

const workflowYAML = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata: {name: notify, namespace: ops}
spec:
  parameters:
  - {name: url, default: "https://hooks.example.com"}
  actions:
  - name: call
    type: HTTP
    http: {url: "$(params.url)/failover", method: POST}
`

const planYAML = `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRPlan
metadata: {name: failover, namespace: ops}
spec:
  stages:
  - name: notify
    workflows:
    - workflowRef: {name: notify}
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestValidateValidDirectoryExitsZero(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"workflows/notify.yaml": workflowYAML,
		"plans/failover.yml":    planYAML,
		"README.md":             "# not YAML",
		".git/config.yaml":      "garbage: [",
	})
	code, out, errOut := drctl(t, "", "validate", "-f", dir)
	assert.Equal(t, 0, code, out+errOut)
	assert.Equal(t, "2 documents validated: 0 errors, 0 warnings\n", out)
}

func TestValidateInvalidExitsTwoWithLocation(t *testing.T) {
	dir := writeFiles(t, map[string]string{"plan.yaml": strings.Replace(planYAML, "name: notify}", "name: notfy}", 1), "wf.yaml": workflowYAML})
	code, out, _ := drctl(t, "", "validate", "-f", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, out, filepath.Join(dir, "plan.yaml")+":8:7: error: DRPlan ops/failover: spec.stages[0].workflows[0].workflowRef: Not found: DRWorkflow ops/notfy\n")
	assert.Contains(t, out, "2 documents validated: 1 error, 0 warnings\n")

	code, _, _ = drctl(t, "", "validate", "-f", dir, "--allow-missing-refs")
	assert.Equal(t, 0, code, "a missing reference is a warning with --allow-missing-refs")
	code, _, _ = drctl(t, "", "validate", "-f", dir, "--allow-missing-refs", "--strict")
	assert.Equal(t, 2, code, "--strict fails on warnings")
}

func TestValidateStdinAndJSONOutput(t *testing.T) {
	input := workflowYAML + "---\n" + strings.Replace(planYAML, "spec:\n", "spec:\n  bogus: 1\n", 1)
	code, out, _ := drctl(t, input, "validate", "-f", "-", "-o", "json")
	assert.Equal(t, 2, code)
	var diags []validate.Diagnostic
	require.NoError(t, json.Unmarshal([]byte(out), &diags), out)
	require.Len(t, diags, 1)
	assert.Equal(t, validate.Diagnostic{
		Severity: "error", File: "<stdin>", Line: 16, Column: 3, Kind: "DRPlan", Namespace: "ops", Name: "failover",
		Field: "spec.bogus", Message: `unknown field "bogus"`,
	}, diags[0])

	code, out, _ = drctl(t, workflowYAML, "validate", "-f", "-", "-o", "json")
	assert.Equal(t, 0, code)
	assert.Equal(t, "[]\n", out, "no diagnostics is an empty array, never null")
}

func TestValidateGitHubOutput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"wf.yaml": strings.Replace(workflowYAML, "method: POST", "method: SEND", 1)})
	code, out, _ := drctl(t, "", "validate", "-f", filepath.Join(dir, "wf.yaml"), "-o", "github")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "::error file="+filepath.Join(dir, "wf.yaml")+",line=10,col=43,title=drctl validate%3A DRWorkflow ops/notify::spec.actions[0].http.method: action \"call\": Unsupported value: \"SEND\"")
}

func TestValidateUsageErrors(t *testing.T) {
	code, _, errOut := drctl(t, "", "validate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no input: give at least one -f PATH")

	code, _, errOut = drctl(t, "", "validate", "-f", "x.yaml", "-o", "xml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown output format "xml"`)

	code, out, _ := drctl(t, "", "validate", "-f", "/does/not/exist.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "/does/not/exist.yaml: error: stat /does/not/exist.yaml: no such file or directory")

	code, _, errOut = drctl(t, "", "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
}

// Control characters from a file never reach the terminal raw, in any output format, and a
// crafted newline cannot forge a diagnostic line.
func TestValidateEscapesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../testdata/hostile/terminal-escapes.yaml")
	require.NoError(t, err)
	file := filepath.Join(dir, "plan\x1b[8m.yaml")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	for _, format := range []string{"text", "github", "json"} {
		code, out, errOut := drctl(t, "", "validate", "-f", file, "-o", format)
		assert.Equal(t, 2, code, format)
		assert.NotRegexp(t, "[\x00-\x08\x0b-\x1f\x7f]", out+errOut, format)
		assert.NotContains(t, out, "\ndrctl.yaml:1:1", format)
		if format == "text" {
			assert.Contains(t, out, `plan\x1b[8m.yaml:13:9: error: DRWorkflow hostile: spec.actions[0].http.headers[\x1b]0;pwned\a\x1b[2J\rok\ndrctl.yaml:1:1: error: forged]: undefined parameter "undeclared"`)
		}
	}
}
