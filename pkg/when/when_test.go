package when

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpstreamFormsAndDrctlVariables(t *testing.T) {
	vars := Vars{Mode: "Upgrade", Operation: "Execute", Params: map[string]string{"region": "eu"},
		Outputs: map[string]map[string]string{"check": {"statusCode": "200"}}}
	for expr, want := range map[string]bool{
		`mode == "install" || mode == "upgrade"`:                     true,
		`mode == "install"`:                                          false,
		`operation == "execute"`:                                     true,
		`params.region == "eu" && outputs.check.statusCode == "200"`: true,
		`params["region"].startsWith("us")`:                          false,
		`"region" in params && !("zone" in params)`:                  true,
		`mode.upperAscii() == "UPGRADE"`:                             true,
	} {
		c, err := Compile(expr)
		require.NoError(t, err, expr)
		got, decided, err := c.Eval(vars)
		require.NoError(t, err, expr)
		assert.True(t, decided, expr)
		assert.Equal(t, want, got, expr)
	}
}

func TestBadExpressionsAreRefusedWithWhere(t *testing.T) {
	_, err := Compile(`mode == `)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1:9: Syntax error")

	_, err = Compile(`params.region`)
	require.Error(t, err)
	assert.Equal(t, "the expression yields string; a condition must yield a bool", err.Error())

	_, err = Compile(`stage == "a"`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undeclared reference to 'stage'")
}

func TestADryRunLeavesConditionsOnOutputsUndecided(t *testing.T) {
	c, err := Compile(`mode == "install" && outputs.check.statusCode == "200"`)
	require.NoError(t, err)
	assert.True(t, c.ReadsMode())

	_, decided, err := c.Eval(Vars{Mode: "Install"})
	require.NoError(t, err)
	assert.False(t, decided, "it waits for the check's output")

	got, decided, err := c.Eval(Vars{Mode: "Upgrade"})
	require.NoError(t, err)
	assert.True(t, decided, "false whatever the output")
	assert.False(t, got)
}

func TestAMissingParameterIsAnError(t *testing.T) {
	c, err := Compile(`params.nope == "x"`)
	require.NoError(t, err)
	assert.False(t, c.ReadsMode())
	_, _, err = c.Eval(Vars{Params: map[string]string{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such key: nope")
}

func TestTheParamsAndOutputsAConditionNames(t *testing.T) {
	c, err := Compile(`params.region == "eu" && outputs["check-db"].statusCode == "200" && has(params.zone) && "x" in outputs`)
	require.NoError(t, err)
	assert.Equal(t, []string{"region"}, c.Params(), "has() only tests, and needs no declaration")
	assert.Equal(t, []string{"check-db"}, c.Outputs())
}
