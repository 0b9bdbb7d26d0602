package main

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	code, out, _ := drctl(t, "", "version")
	require.Equal(t, 0, code)
	assert.Regexp(t, `^drctl \S+ \(commit \S+, built \S+, go\d`, out)

	code, out, _ = drctl(t, "", "version", "-o", "json")
	require.Equal(t, 0, code)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, runtime.Version(), v["goVersion"])
	for _, k := range []string{"version", "commit", "date"} {
		assert.NotEmpty(t, v[k], k)
	}
}

func TestBadProgressAndModeAreUsageErrors(t *testing.T) {
	code, _, errOut := drctl(t, "", "execute", "p", "--progress", "fancy")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown --progress "fancy"`)
	code, _, errOut = drctl(t, "", "execute", "p", "--mode", "Sideways")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown --mode "Sideways"`)
	code, _, _ = drctl(t, "", "execute")
	assert.Equal(t, 2, code, "missing PLAN")
	code, _, errOut = drctl(t, "", "execute", "p", "--lease-duration", "1s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--lease-duration 1s is too short: at least 3s")
	code, _, errOut = drctl(t, "", "resume", "x", "--partition-timeout", "0s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--partition-timeout 0s: want a positive duration")
}
