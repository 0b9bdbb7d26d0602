package version

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
)

func TestVersionOutputs(t *testing.T) {
	streams, _, out, _ := iostreams.Test()
	cmd := NewCmdVersion(&cmdutil.Factory{IOStreams: streams}, nil)
	cmd.SetArgs([]string{"-o", "json"})
	require.NoError(t, cmd.Execute())
	var info map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &info), out.String())
	assert.Contains(t, info, "version")

	out.Reset()
	cmd = NewCmdVersion(&cmdutil.Factory{IOStreams: streams}, nil)
	require.NoError(t, cmd.Execute())
	assert.Regexp(t, `^drctl \S+ \(commit \S+, built \S+, go\S+\)\n$`, out.String())

	cmd = NewCmdVersion(&cmdutil.Factory{IOStreams: streams}, func(*Options) error { t.Fatal("must not run"); return nil })
	cmd.SetArgs([]string{"-o", "yaml"})
	err := cmd.Execute()
	assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
	assert.EqualError(t, err, `unknown output format "yaml": want text or json`)
}
