package report

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ecommerce is the report of a real run of the e-commerce demo (make demo) and its revert, as
// kubectl get -o yaml printed their records, events and plan.
func ecommerce(t *testing.T) *Report {
	t.Helper()
	read := func(name string, into any) {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(data, into))
	}
	exec, revert, plan, events := &v1alpha1.DRPlanExecution{}, &v1alpha1.DRPlanExecution{}, &v1alpha1.DRPlan{}, &corev1.EventList{}
	read("ecommerce-execution.yaml", exec)
	read("ecommerce-revert.yaml", revert)
	read("ecommerce-plan.yaml", plan)
	read("ecommerce-events.yaml", events)
	return Assemble(exec, events.Items, []v1alpha1.DRPlanExecution{*exec, *revert}, plan)
}

func TestEcommerceReportMarkdownGolden(t *testing.T) {
	r := ecommerce(t)
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, r))
	cmdtest.Golden(t, "ecommerce.md", md.Bytes())

	assert.Equal(t, []Related{{Name: "ecommerce-failover-20261130-045615-8788-revert", Phase: "Succeeded"}}, r.RevertedBy)
	assert.Len(t, r.Stages, 5)
	assert.NotEmpty(t, r.Events)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, r.Name, back.Name)
	assert.Equal(t, SchemaVersion, back.Version)
}

// The HTML report, opened in a real headless browser: the page renders, and its timeline chart
// draws a green bar for each succeeded action. DRCTL_REPORT_SCREENSHOT=path keeps the screenshot
// to look at.
func TestEcommerceReportHTMLInABrowser(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			browser = path
			break
		}
	}
	require.NotEmpty(t, browser, "a headless browser is needed: apt-get install chromium (.ci/run installs it)")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, ecommerce(t)))
	require.NoError(t, os.WriteFile(page, html.Bytes(), 0o644))
	shot := filepath.Join(dir, "report.png")
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1100,1400", "--screenshot="+shot, "file://"+page)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := os.Open(shot)
	require.NoError(t, err, "%s", out)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 1100, img.Bounds().Dx())
	green := 0 // rect.Succeeded: #2da44e
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 == 0x2d && g>>8 == 0xa4 && b>>8 == 0x4e {
				green++
			}
		}
	}
	assert.Greater(t, green, 20*2*16, "the chart's bars: 20 succeeded actions, at least 2×16 pixels each")
	if keep := os.Getenv("DRCTL_REPORT_SCREENSHOT"); keep != "" {
		data, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(keep, data, 0o644))
	}
}

// A report quotes the record, and never the credentials it shows by their form: in a URL written
// in the plan, in a parameter, in a response body. (Sensitive parameters are REDACTED in the
// record already.)
func TestReportRedactsCredentials(t *testing.T) {
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, yaml.Unmarshal([]byte(`
metadata: {name: run-1, namespace: dr}
spec: {planRef: p, operationType: Execute}
status:
  phase: Succeeded
  resolvedParams: {hook: "https://ops:hunter2@hooks.example.com/x?token=t0p", db: REDACTED}
  stageStatuses:
  - name: s
    phase: Succeeded
    workflowExecutions:
    - workflowRef: {name: w}
      phase: Succeeded
      resolvedParams: {hook: "https://ops:hunter2@hooks.example.com/x?token=t0p"}
      workflowSpec:
        actions:
        - {name: login, type: HTTP, http: {url: "$(params.hook)", method: POST, headers: {Authorization: "Bearer s3cr3tbearer"}, body: '{"password": "pa55"}'}}
      actionStatuses:
      - name: login
        phase: Succeeded
        outputs: {httpResponse: {statusCode: 200, body: '{"access_token":"eyJsecret","expires_in":60}'}}
`), exec))
	r := Assemble(exec, nil, nil, nil)
	var md, html bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, r))
	require.NoError(t, WriteHTML(&html, r))
	data, err := json.Marshal(r)
	require.NoError(t, err)
	for name, out := range map[string]string{"markdown": md.String(), "html": html.String(), "json": string(data)} {
		for _, secret := range []string{"hunter2", "t0p", "eyJsecret", "s3cr3tbearer", "pa55"} {
			assert.NotContains(t, out, secret, "%s", name)
		}
		assert.Contains(t, out, "hooks.example.com", "%s: the rest is still there", name)
	}
	assert.Contains(t, md.String(), "POST https://ops:REDACTED@hooks.example.com/x?token=REDACTED")
	assert.Contains(t, md.String(), "    header Authorization: REDACTED\n", "the request as run, its credential header redacted")
}

// An audit sees every operator intervention: who, when, what, why, and what came of it.
func TestReportListsOperatorSignals(t *testing.T) {
	exec := &v1alpha1.DRPlanExecution{}
	require.NoError(t, yaml.Unmarshal([]byte(`
metadata: {name: run-1, namespace: dr}
spec: {planRef: p, operationType: Execute}
status:
  phase: Succeeded
  signals:
  - {id: "1", verb: Pause, by: alice, at: "2026-11-30T10:00:00Z", reason: "replica lag", result: Applied, message: "paused"}
  - {id: "2", verb: Skip, step: "s/w/warm-cache", by: "bob", at: "2026-11-30T10:05:00Z", reason: "not needed <today>", result: Applied, message: "the action is recorded Skipped"}
`), exec))
	r := Assemble(exec, nil, nil, nil)
	var md, html bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, r))
	require.NoError(t, WriteHTML(&html, r))
	assert.Contains(t, md.String(), "## Operator signals")
	assert.Contains(t, md.String(), "| 2026-11-30T10:05:00Z | bob | Skip | s/w/warm-cache | Applied | not needed <today> | the action is recorded Skipped |")
	assert.Contains(t, html.String(), "<td>bob</td><td>Skip</td><td>s/w/warm-cache</td><td>Applied</td><td>not needed &lt;today&gt;</td>")
	data, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"signals":[{"time":"2026-11-30T10:00:00Z","by":"alice","verb":"Pause","reason":"replica lag","result":"Applied","message":"paused"}`)
}
