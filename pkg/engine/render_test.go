package engine

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

var tricky = `he said "hi": {ok} #not-a-comment` + "\n" + `line2 'single' \ backslash`

func testVars() Vars {
	return Vars{
		Params: map[string]string{
			"tricky": tricky, "replicas": "3", "enabled": "true", "empty": "", "nested": "$(params.tricky)",
			"map-like": "a: b", "name": "web",
		},
		PlanName: "prod-failover", PlanNamespace: "prod", ExecutionName: "prod-failover-1",
		Outputs: map[string]map[string]string{"create": {"name": "cm-1"}},
	}
}

func TestRenderManifestKeepsExactStringsAndTypes(t *testing.T) {
	manifest := `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .params.name }}-$(executionName)
  namespace: $(planNamespace)
  labels:
    plan: $(planName)
data:
  tricky: $(params.tricky)
  quoted: "$(params.tricky)"
  inline: "value=$(params.tricky)!"
  empty: "$(params.empty)"
  nested: $(params.nested)
  mapLike: $(params.map-like)
  escaped: $$(params.name)
  fromOutput: $(outputs.create.name)
spec:
  replicas: $(params.replicas)
  enabled: $(params.enabled)
  quotedNumber: "$(params.replicas)"
`
	out, err := RenderDocument(manifest, testVars(), actions.DocumentYAML)
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(out), &obj), out)
	meta := obj["metadata"].(map[string]any)
	assert.Equal(t, "web-prod-failover-1", meta["name"])
	assert.Equal(t, "prod", meta["namespace"])
	data := obj["data"].(map[string]any)
	assert.Equal(t, tricky, data["tricky"], "an unquoted placeholder whose value is not a scalar stays the exact string")
	assert.Equal(t, tricky, data["quoted"])
	assert.Equal(t, "value="+tricky+"!", data["inline"])
	assert.Equal(t, "", data["empty"])
	assert.Equal(t, "$(params.tricky)", data["nested"], "one pass: a value is never expanded again")
	assert.Equal(t, "a: b", data["mapLike"])
	assert.Equal(t, "$(params.name)", data["escaped"])
	assert.Equal(t, "cm-1", data["fromOutput"])
	spec := obj["spec"].(map[string]any)
	assert.Equal(t, float64(3), spec["replicas"], "an unquoted single placeholder is re-read as YAML")
	assert.Equal(t, true, spec["enabled"])
	assert.Equal(t, "3", spec["quotedNumber"])
}

func TestRenderJSONBodyStaysJSON(t *testing.T) {
	body := `{"text": "$(params.tricky)", "replicas": $(params.replicas), "plan": "{{ .planName }}"}`
	out, err := RenderDocument(body, testVars(), actions.DocumentAsWritten)
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &obj), out)
	assert.Equal(t, tricky, obj["text"])
	assert.Equal(t, float64(3), obj["replicas"])
	assert.Equal(t, "prod-failover", obj["plan"])
	assert.Regexp(t, `^\{"text": ".*", "replicas": 3, "plan": "prod-failover"\}$`, out, "every byte outside the placeholders is kept")

	plain, err := RenderDocument("failing over $(planName) to $(params.name)", testVars(), actions.DocumentAsWritten)
	require.NoError(t, err)
	assert.Equal(t, "failing over prod-failover to web", plain)
}

func TestRenderReportsUndefinedNamesBeforeAnything(t *testing.T) {
	_, err := RenderDocument("a: $(params.nope)\nb: $(outputs.later.x)\n", testVars(), actions.DocumentYAML)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `undefined parameter "nope"`)
	assert.Contains(t, err.Error(), `undefined output "x" of action "later"`)
	_, err = RenderDocument("a: {{ .params.name\n", testVars(), actions.DocumentYAML)
	assert.ErrorContains(t, err, "missing closing '}}'")
}

func TestRenderActionRendersEveryField(t *testing.T) {
	a := &v1alpha1.Action{
		Name: "call", Type: v1alpha1.ActionHTTP,
		HTTP: &v1alpha1.HTTPAction{
			URL:     "https://api.example.com/$(params.name)",
			Headers: map[string]string{"X-Run": "$(executionName)"},
			Body:    `{"msg": "$(params.tricky)"}`,
		},
		Rollback: &v1alpha1.Action{Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{URL: "https://api.example.com/undo/{{ .params.name }}"}},
	}
	out, err := RenderAction(a, testVars())
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.com/web", out.HTTP.URL)
	assert.Equal(t, "prod-failover-1", out.HTTP.Headers["X-Run"])
	var body map[string]string
	require.NoError(t, json.Unmarshal([]byte(out.HTTP.Body), &body))
	assert.Equal(t, tricky, body["msg"])
	assert.Equal(t, "https://api.example.com/undo/web", out.Rollback.HTTP.URL)
	assert.Equal(t, "https://api.example.com/$(params.name)", a.HTTP.URL, "the input is not modified")

	a.HTTP.URL = "https://api.example.com/$(params.missing)"
	_, err = RenderAction(a, testVars())
	assert.ErrorContains(t, err, `http.url: undefined parameter "missing"`)
}
