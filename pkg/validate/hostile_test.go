package validate

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileDir holds inputs written by an attacker or a careless author, each of which once
// crashed drctl, hung it or did something a reviewer would not expect.
const hostileDir = "../../testdata/hostile"

func validateFile(t *testing.T, name string) []Diagnostic {
	t.Helper()
	diags, _ := ValidatePaths([]string{filepath.Join(hostileDir, name)}, nil, Options{})
	return diags
}

// Each hostile file gets a clear error at the line and column of the cause, or passes when it is
// valid and only its rendering was at fault (tested in pkg/engine).
func TestHostileFiles(t *testing.T) {
	for _, tc := range []struct {
		file      string
		line, col int
		want      string
	}{
		{file: "duplicate-key.yaml", line: 13, col: 9, want: `duplicate key "url" (first at line 11)`},
		{file: "unknown-anchor.yaml", line: 10, col: 14, want: "unknown anchor 'nowhere'"},
		{file: "billion-laughs.yaml", line: 7, col: 11, want: "excessive aliasing"},
		{file: "template-spellings.yaml", line: 13, col: 9, want: "no blanks inside $(...): write $(params.target)"},
		{file: "template-spellings.yaml", line: 15, col: 11, want: "take no trim markers"},
		{file: "marker-lookalike.yaml"},
		{file: "kubernetes-escape.yaml"},
		{file: "json-body.yaml"},
		{file: "url-injection.yaml"},
		{file: "comment-placeholder.yaml"},
	} {
		t.Run(fmt.Sprintf("%s:%d", tc.file, tc.line), func(t *testing.T) {
			diags := validateFile(t, tc.file)
			if tc.want == "" {
				requireClean(t, diags)
				return
			}
			var found bool
			for _, d := range diags {
				if d.Severity == SeverityError && strings.Contains(d.Message, tc.want) {
					found = true
					assert.Equal(t, fmt.Sprintf("%d:%d", tc.line, tc.col), fmt.Sprintf("%d:%d", d.Line, d.Column), d.String())
				}
			}
			assert.True(t, found, "want an error containing %q, got:\n%s", tc.want, dump(diags))
		})
	}
}

// endless is an input that never ends, as `yes | drctl validate -f -` gives.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'y'
	}
	return len(p), nil
}

func TestInputIsCapped(t *testing.T) {
	diags, _ := ValidatePaths([]string{StdinPath}, endless{}, Options{})
	require.Len(t, diags, 1)
	assert.Equal(t, "<stdin>", diags[0].File)
	assert.Contains(t, diags[0].Message, "larger than 8 MiB")
	assert.Contains(t, diags[0].Message, "at most 1.5 MiB (etcd's limit)")

	link := filepath.Join(t.TempDir(), "zero.yaml")
	require.NoError(t, os.Symlink("/dev/zero", link))
	diags, _ = ValidatePaths([]string{link}, nil, Options{})
	require.Len(t, diags, 1)
	assert.Contains(t, diags[0].Message, "not a regular file (a character device)")

	big := "apiVersion: v1\nkind: ConfigMap\ndata:\n  k: " + strings.Repeat("x", MaxDocumentBytes) + "\n"
	diags, _ = ValidatePaths([]string{StdinPath}, strings.NewReader(big), Options{})
	require.Len(t, diags, 1)
	assert.Contains(t, diags[0].Message, "document of 1.5 MiB: the API server stores objects of at most 1.5 MiB")
}

// A pipe (`drctl validate -f <(render-plans)`) is read like a file.
func TestPipesAreRead(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "plans.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = io.WriteString(f, validWorkflow)
	}()
	diags, docs := ValidatePaths([]string{fifo}, nil, Options{})
	requireClean(t, diags)
	assert.Equal(t, 1, docs)
}

// generatedWorkflow is a workflow of n actions, each depending on the next (one long cycle), on
// itself and on an action that does not exist, and reading an output of an action five ahead.
func generatedWorkflow(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata:\n  name: generated\nspec:\n  actions:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: a%d, type: HTTP, http: {url: \"http://x.example/$(outputs.a%d.x)\"}, dependsOn: [a%d, missing%d, a%d]}\n", i, (i+5)%n, (i+1)%n, i, i)
	}
	return b.String()
}

// Diagnostics are bounded: 12,000 actions whose every dependsOn is wrong once produced 1.6 GB of
// messages in 97 s with 10 GB of memory.
func TestDiagnosticsAreBounded(t *testing.T) {
	diags := run(t, generatedWorkflow(MaxActions))
	var size int
	for _, d := range diags {
		size += len(d.String())
	}
	assert.LessOrEqual(t, len(diags), MaxDiagnosticsPerDocument+1)
	assert.Less(t, size, 64<<10, "the whole report stays small")
	requireOne(t, diags, SeverityError, "", "more problems in this document are not shown")
	requireOne(t, diags, SeverityError, "spec.actions[0].dependsOn[1]", `(known: a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 and 990 more)`)

	diags = run(t, generatedWorkflow(MaxActions+1))
	requireOne(t, diags, SeverityError, "spec.actions", "Too many: 1001 actions: drctl runs at most 1000 per workflow")
}

func TestLongCycleIsShortened(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata:\n  name: ring\nspec:\n  actions:\n")
	for i := range 50 {
		fmt.Fprintf(&b, "  - {name: a%d, type: HTTP, http: {url: \"http://x.example/\"}, dependsOn: [a%d]}\n", i, (i+1)%50)
	}
	requireOne(t, run(t, b.String()), SeverityError, "spec.actions[0].dependsOn",
		"dependency cycle: a0 -> a1 -> a2 -> a3 -> a4 -> a5 -> a6 -> a7 -> (41 more) -> a49 -> a0")
}

func TestDeepNestingIsPlaced(t *testing.T) {
	doc := "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata:\n  name: deep\nspec:\n  x: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	diags := run(t, doc)
	require.Len(t, diags, 1)
	assert.Equal(t, "6:6", fmt.Sprintf("%d:%d", diags[0].Line, diags[0].Column))
	assert.Contains(t, diags[0].Message, "exceeded max depth")
}

func TestSchemaErrorsNameTheElement(t *testing.T) {
	diags := run(t, `apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata:
  name: named
spec:
  parameters:
    - name: target
      type: strin
  actions:
    - name: a
      type: HTTP
      http: {url: "http://x.example/$(params.target)"}
---
apiVersion: dr.bkbcs.tencent.com/v1alpha1
kind: DRWorkflow
metadata:
  name: empty
spec:
`)
	requireOne(t, diags, SeverityError, "spec.parameters[0].type", `parameter "target": Unsupported value: "strin"`)
	requireOne(t, diags, SeverityError, "spec", "spec is empty: a DRWorkflow needs spec.actions")
}

// Validation takes time linear in its input: 1 MiB of the template text that once took minutes.
func TestAdversarialTemplateIsQuick(t *testing.T) {
	start := time.Now()
	diags := run(t, adversarialTemplate(1<<20))
	assert.Less(t, time.Since(start), 30*time.Second, "generous for a loaded CI machine; BenchmarkValidateAdversarialTemplate gives the figure")
	for _, d := range diags {
		assert.NotContains(t, d.Message, "template", "unclosed $( of no drctl name are text")
	}
}

func adversarialTemplate(size int) string {
	return "apiVersion: dr.bkbcs.tencent.com/v1alpha1\nkind: DRWorkflow\nmetadata:\n  name: slow\nspec:\n  actions:\n  - name: a\n    type: HTTP\n    http:\n      url: http://x.example/\n      body: '" + strings.Repeat("$(", size/2) + "'\n"
}

func BenchmarkValidateAdversarialTemplate1MiB(b *testing.B) {
	doc := adversarialTemplate(1 << 20)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		_, _ = ValidatePaths([]string{StdinPath}, strings.NewReader(doc), Options{})
	}
}

// FuzzValidate holds the loader and validator to: no panic and no hang, whatever the input.
func FuzzValidate(f *testing.F) {
	for _, dir := range []string{hostileDir, "../../examples/quickstart", "../../examples/ecommerce"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		diags, _ := ValidatePaths([]string{StdinPath}, strings.NewReader(string(data)), Options{})
		for _, d := range diags {
			require.NotEmpty(t, d.Message)
		}
	})
}

// What a plan reaches beyond its namespace or its own rights is a warning each: a reviewer sees
// it, and --strict refuses it.
func TestBlastRadiusIsWarned(t *testing.T) {
	diags := validateFile(t, "blast-radius.yaml")
	require.Empty(t, only(diags, SeverityError), dump(diags))
	for field, want := range map[string]string{
		"spec.parameters[0].valueFrom":                                       `reads Secret db (key password) for parameter "dbpass"`,
		"spec.parameters[1].valueFrom":                                       `reads Secret kube-system/admin-token for parameter "token"`,
		"spec.actions[2].job.template.spec.template.spec.serviceAccountName": "runs a Job as ServiceAccount cluster-operator",
		"spec.actions[3].http.insecureSkipVerify":                            "skips TLS verification",
		"spec.actions[4].http.url":                                           "169.254.169.254, a link-local or cloud metadata address",
		"spec.actions[1].resource.manifest":                                  "applies ConfigMap routes in namespace payments, outside the plan's namespace shop",
	} {
		requireOne(t, diags, SeverityWarning, field, want)
	}
	var grant, url []string
	for _, d := range only(diags, SeverityWarning) {
		switch d.Field {
		case "spec.actions[0].resource.manifest":
			grant = append(grant, d.Message)
		case "spec.actions[3].http.url":
			url = append(url, d.Message)
		}
	}
	assert.ElementsMatch(t, []string{
		"creates cluster-scoped ClusterRoleBinding everyone-admin: it affects the whole cluster",
		"creates RBAC object ClusterRoleBinding everyone-admin: it grants rights",
	}, grant)
	assert.ElementsMatch(t, []string{
		"holds a password in the URL: it is logged wherever the URL is; use a header with a sensitive parameter",
		`holds a literal credential in query parameter "api_key": use a sensitive parameter`,
	}, url)
}

// Duplicate keys are counted past the first hundred; inputs together are capped too.
func TestDuplicatesAndTotalInputAreBounded(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\ndata:\n" + strings.Repeat("  k: v\n", 1000)
	diags := run(t, doc)
	assert.Len(t, diags, MaxDiagnosticsPerDocument+1)
	assert.Contains(t, dump(diags), "899 more duplicate keys in this document are not shown")

	dir := t.TempDir()
	var files []string
	comment := strings.Repeat("---\n# "+strings.Repeat("x", 1<<20)+"\n", 7) // seven empty documents
	for i := range 5 {
		f := filepath.Join(dir, fmt.Sprintf("part-%d.yaml", i))
		require.NoError(t, os.WriteFile(f, []byte(comment), 0o600))
		files = append(files, f)
	}
	diags, _ = ValidatePaths([]string{dir}, nil, Options{})
	require.Len(t, diags, 1)
	assert.Equal(t, files[4], diags[0].File)
	assert.Contains(t, diags[0].Message, "not read: the inputs hold more than 32 MiB together")
}
