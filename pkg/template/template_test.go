package template

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFindsBothSpellings(t *testing.T) {
	refs, errs := Parse(`url: $(params.target-url)/x?c={{ .params.cluster_1 }}&p=$(planName)&n={{.planNamespace}}&e=$(executionName)&o=$(outputs.create-job.name)`)
	require.Empty(t, errs)
	var got []string
	for _, r := range refs {
		got = append(got, r.String())
	}
	assert.Equal(t, []string{
		"$(params.target-url)", "$(params.cluster_1)", "$(planName)", "$(planNamespace)", "$(executionName)",
		"$(outputs.create-job.name)",
	}, got)
	assert.Equal(t, Output, refs[5].Kind)
	assert.Equal(t, "create-job", refs[5].Name)
	assert.Equal(t, "name", refs[5].Field)
}

func TestParseLeavesOtherTemplatingAlone(t *testing.T) {
	for _, s := range []string{
		`args: ["--pod=$(POD_NAME)"]`,          // Kubernetes env expansion
		`sh -c 'echo $(date +%s) $(hostname)'`, // shell command substitution
		`summary: {{ $labels.instance }} down`, // Alertmanager template
		`escaped $$(params.x) stays`,           // escape
		`args: ["$$(POD_NAME)"]`,               // Kubernetes' own escape
		`{{ $labels.x }} {{- if .Values }}`,    // Go templates of other tools (a leading dot only counts after '-' if drctl's)
		`just a $ sign and ( parens )`,
	} {
		refs, errs := Parse(s)
		assert.Empty(t, refs, s)
		assert.Empty(t, errs, s)
	}
}

func TestParseReportsSyntaxErrors(t *testing.T) {
	for s, want := range map[string]string{
		`$(params.x`:              "missing closing ')'",
		`{{ .params.x `:           "missing closing '}}'",
		`$(params.)`:              "invalid parameter reference",
		`$(params.a.b)`:           "invalid parameter reference",
		`{{ .param.x }}`:          `unknown name "param.x"`,
		`$(outputs.only-one)`:     "invalid output reference",
		`{{ .params.has space }}`: "invalid parameter reference",
		`$( params.x )`:           "no blanks inside $(...): write $(params.x)",
		`$(planName )`:            "no blanks inside $(...): write $(planName)",
		`{{- .params.x }}`:        "no trim markers ('{{-', '-}}'): write {{ .params.x }}",
		`{{ .params.x -}}`:        "no trim markers ('{{-', '-}}'): write {{ .params.x }}",
	} {
		_, errs := Parse(s)
		require.Len(t, errs, 1, s)
		assert.Contains(t, errs[0].Error(), want, s)
	}
}

func TestRenderIsOnePassAndExact(t *testing.T) {
	values := map[string]string{
		"quote":  `he said "hi": {ok}` + "\nline2",
		"nested": "$(params.quote)",
		"empty":  "",
	}
	lookup := func(r Ref) (string, bool) {
		v, ok := values[r.Name]
		return v, ok && r.Kind == Param
	}
	out, err := Render(`a=$(params.quote) b={{ .params.nested }} c=[$(params.empty)] d=$$(params.quote) e=$$(POD)`, lookup)
	require.NoError(t, err)
	assert.Equal(t, `a=he said "hi": {ok}`+"\nline2"+` b=$(params.quote) c=[] d=$(params.quote) e=$$(POD)`, out)
}

// A placeholder inside someone else's $(...) is still drctl's: the shell's $(...) is passed over
// by its "$(" alone.
func TestParseFindsPlaceholdersInsideOtherDollarParens(t *testing.T) {
	refs, errs := Parse(`sh -c "echo $(cat $(params.file))"`)
	require.Empty(t, errs)
	require.Len(t, refs, 1)
	assert.Equal(t, "file", refs[0].Name)
}

func TestUnescapeOnlyTouchesDrctlNames(t *testing.T) {
	assert.Equal(t, `$(params.x) $$(VAR) $(planName) $$(planNameX)`, Unescape(`$$(params.x) $$(VAR) $$(planName) $$(planNameX)`))
	assert.Equal(t, "plain", Unescape("plain"))
}

func TestRenderReportsEveryUndefinedName(t *testing.T) {
	_, err := Render(`$(params.a) $(params.b) {{ .params.c`, func(Ref) (string, bool) { return "", false })
	require.Error(t, err)
	assert.Contains(t, err.Error(), `undefined parameter "a"`)
	assert.Contains(t, err.Error(), `undefined parameter "b"`)
	assert.Contains(t, err.Error(), "missing closing '}}'")
}
