package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// Text that looks like the renderer's own markers is only text: it once panicked (index out of
// range) or put the wrong value in.
func TestRenderIgnoresMarkerLookalikes(t *testing.T) {
	for _, manifest := range []string{
		"k: __drctl_placeholder_1$(params.name)\n",
		"k: __drctl_placeholder_1__ $(params.name) $(params.replicas)\n",
		"k: drctl0000000000000000_0_$(params.name)\n",
	} {
		out, err := RenderDocument(manifest, testVars(), actions.DocumentYAML)
		require.NoError(t, err, manifest)
		var obj map[string]string
		require.NoError(t, yaml.Unmarshal([]byte(out), &obj))
		want := map[string]string{
			"k: __drctl_placeholder_1$(params.name)\n":                       "__drctl_placeholder_1web",
			"k: __drctl_placeholder_1__ $(params.name) $(params.replicas)\n": "__drctl_placeholder_1__ web 3",
			"k: drctl0000000000000000_0_$(params.name)\n":                    "drctl0000000000000000_0_web",
		}[manifest]
		assert.Equal(t, want, obj["k"], manifest)
	}
}

// A JSON body keeps every byte that is not a placeholder: a receiver checking a signature or
// comparing bytes must get what the plan says.
func TestRenderJSONBodyKeepsBytes(t *testing.T) {
	body := "{\n  \"q\": \"a&b<c>\",  \"big\": 12345678901234567890123,\n  \"f\": 1.50e+3, \"u\": \"\\u00e9\", \"name\": \"$(params.name)\", \"n\": $(params.replicas), \"t\": $(params.tricky)\n}"
	out, err := RenderDocument(body, testVars(), actions.DocumentAsWritten)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"q\": \"a&b<c>\",  \"big\": 12345678901234567890123,\n  \"f\": 1.50e+3, \"u\": \"\\u00e9\", \"name\": \"web\", \"n\": 3, \"t\": "+jsonString(tricky)+"\n}", out)

	untouched := `{"sig": "a&b",   "n": 1e2}`
	out, err = RenderDocument(untouched, testVars(), actions.DocumentAsWritten)
	require.NoError(t, err)
	assert.Equal(t, untouched, out, "no placeholder: not one byte changes")
}

func TestRenderEscapesOnlyDrctlNames(t *testing.T) {
	a := &v1alpha1.Action{Name: "job", Type: v1alpha1.ActionHTTP, HTTP: &v1alpha1.HTTPAction{
		URL: "https://x.example/", Headers: map[string]string{"X": "$$(params.name) $$(POD_NAME) $(params.name)"},
	}}
	out, err := RenderAction(a, testVars())
	require.NoError(t, err)
	assert.Equal(t, "$(params.name) $$(POD_NAME) web", out.HTTP.Headers["X"], "$$(VAR) is Kubernetes' escape and stays for Kubernetes")

	manifest := "args: [\"$$(POD_NAME)\", \"$$(params.name)\", \"$(params.name)\"]\n"
	rendered, err := RenderDocument(manifest, testVars(), actions.DocumentYAML)
	require.NoError(t, err)
	var obj map[string][]string
	require.NoError(t, yaml.Unmarshal([]byte(rendered), &obj))
	assert.Equal(t, []string{"$$(POD_NAME)", "$(params.name)", "web"}, obj["args"])
}

// Comments are not rendered: the internal marker of a placeholder written in a comment once
// reached the output.
func TestRenderDropsCommentsWithPlaceholders(t *testing.T) {
	out, err := RenderDocument("# set $(params.name) below\nk: $(params.name) # $(params.replicas)\n", testVars(), actions.DocumentYAML)
	require.NoError(t, err)
	assert.Equal(t, "k: web\n", out)
}

func TestRenderRefusesPlaceholderAsTag(t *testing.T) {
	_, err := RenderDocument("k: !$(params.name) v\nj: $(params.name)\n", testVars(), actions.DocumentYAML)
	assert.ErrorContains(t, err, "cannot put a value")
}

// A value lands in a URL escaped for where it lands: it cannot add a query parameter, change
// the host or climb the path.
func TestRenderURLEscapesByPosition(t *testing.T) {
	vars := testVars()
	vars.Params = map[string]string{
		"q": "a b&c=d", "seg": "v1/users", "host": "api.example.com:8443", "base": "https://api.example.com/v2",
		"evil-host": "evil.example/x?", "climb": "../admin", "id": "x#y", "nl": "a\nb",
	}
	for url, want := range map[string]string{
		"https://x.example/search?q=$(params.q)&page=1":  "https://x.example/search?q=a+b%26c%3Dd&page=1",
		"https://x.example/$(params.seg)/$(params.id)":   "https://x.example/v1/users/x%23y",
		"https://$(params.host)/$(params.seg)":           "https://api.example.com:8443/v1/users",
		"$(params.base)/users?q=$(params.q)":             "https://api.example.com/v2/users?q=a+b%26c%3Dd",
		"https://x.example/p#$(params.q)":                "https://x.example/p#a%20b&c=d",
		"https://x.example/$$(params.q)?q=$(params.seg)": "https://x.example/$(params.q)?q=v1%2Fusers",
		"https://x.example/?q=$(params.nl)":              "https://x.example/?q=a%0Ab",
	} {
		out, err := RenderDocument(url, vars, actions.DocumentURL)
		require.NoError(t, err, url)
		assert.Equal(t, want, out, url)
	}
	for url, want := range map[string]string{
		"https://$(params.evil-host)/p":     `may not hold '/'`,
		"https://x.example/$(params.climb)": `may not hold a ".." segment`,
		"https://$(params.nl).example/":     "blank or control character",
		"$(params.q)/p":                     "blank or control character",
	} {
		_, err := RenderDocument(url, vars, actions.DocumentURL)
		assert.ErrorContains(t, err, want, url)
	}
}

// FuzzRenderDocument holds the document renderer to: no panic, whatever the text, for each
// format; a document with no placeholder comes back as written.
func FuzzRenderDocument(f *testing.F) {
	for _, s := range []string{
		"k: __drctl_placeholder_1$(params.name)\n", "a: $(params.replicas)\nb: \"$(params.tricky)\"\n",
		`{"n": $(params.replicas), "s": "$(params.name)"}`, "# $(params.name)\nk: v\n", "k: !$(params.name) v\n",
		"https://$(params.name)/p?q=$(params.tricky)#$(params.empty)", "[$(params.map-like), *a, &b c]",
		"k: &a $(params.name)\nj: *a\n", "$(params.nested) $$(params.name) $$(X)",
	} {
		for format := actions.DocumentYAML; format <= actions.DocumentURL; format++ {
			f.Add(s, int(format))
		}
	}
	f.Fuzz(func(t *testing.T, text string, format int) {
		if format < int(actions.DocumentYAML) || format > int(actions.DocumentURL) {
			return
		}
		out, err := RenderDocument(text, testVars(), actions.DocumentFormat(format))
		if err == nil && !strings.Contains(text, "$") && !strings.Contains(text, "{{") {
			require.Equal(t, text, out)
		}
	})
}

// hostileAction loads the first action of the workflow in testdata/hostile/name.
func hostileAction(t *testing.T, name string) *v1alpha1.Action {
	t.Helper()
	docs, diags := validate.Load([]string{filepath.Join("../../testdata/hostile", name)}, nil)
	require.Empty(t, diags)
	require.Empty(t, validate.Validate(docs, validate.Options{}))
	wf, ok := docs[0].Object.(*v1alpha1.DRWorkflow)
	require.True(t, ok)
	return &wf.Spec.Actions[0]
}

// The hostile files that validate accepts render to exactly what their author wrote.
func TestHostileFilesRender(t *testing.T) {
	vars := Vars{Params: map[string]string{"x": "X", "target": "db-2", "region": `eu "west"`, "user": "a b&admin=true"}}
	render := func(name string) *v1alpha1.Action {
		out, err := RenderAction(hostileAction(t, name), vars)
		require.NoError(t, err, name)
		return out
	}
	var cm struct {
		Metadata map[string]any    `json:"metadata"`
		Data     map[string]string `json:"data"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(render("marker-lookalike.yaml").Resource.Manifest), &cm))
	assert.Equal(t, map[string]string{"one": "__drctl_placeholder_1X", "two": "__drctl_placeholder_1__ X __drctl_placeholder_0__"}, cm.Data)

	manifest := render("comment-placeholder.yaml").Resource.Manifest
	assert.NotContains(t, manifest, "drctl", "no marker leaks through a comment")
	require.NoError(t, yaml.Unmarshal([]byte(manifest), &cm))
	assert.Equal(t, "db-2", cm.Data["target"])

	assert.Equal(t, `{"q": "a&b<c>",  "id": 12345678901234567890123, "f": 1.50e+3, "region": "eu \"west\""}`, render("json-body.yaml").HTTP.Body)
	assert.Equal(t, "https://api.example.com/users?name=a+b%26admin%3Dtrue&page=1", render("url-injection.yaml").HTTP.URL)

	job := render("kubernetes-escape.yaml").Job.Template.Spec.Template.Spec
	assert.Equal(t, []string{"echo", "$$(POD_NAME)", "$(params.target)", "db-2"}, job.Containers[0].Args)
}
