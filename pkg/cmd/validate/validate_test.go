package validate

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// Flags are checked, and turned into Options, without reading a file.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    *Options
		wantErr string
	}{
		{name: "no input", args: nil, wantErr: "no input: give at least one -f PATH"},
		{name: "unknown output", args: []string{"-f", "x.yaml", "-o", "yaml"}, wantErr: `unknown output format "yaml": want text, json or github`},
		{name: "defaults", args: []string{"-f", "plans/"}, want: &Options{Files: []string{"plans/"}, Output: "text"}},
		{name: "everything", args: []string{"-f", "a.yaml", "-f", "-", "-o", "github", "--strict", "--allow-missing-refs"},
			want: &Options{Files: []string{"a.yaml", "-"}, Output: "github", Strict: true, AllowMissingRefs: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			streams, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdValidate(&cmdutil.Factory{IOStreams: streams}, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(streams.Out)
			cmd.SetErr(streams.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
				assert.Nil(t, got, "nothing runs")
				return
			}
			require.NoError(t, err)
			tc.want.IO = streams
			assert.Equal(t, tc.want, got)
		})
	}
}

// Each output format of one invalid input, against a golden file.
func TestOutputGolden(t *testing.T) {
	for _, output := range []string{"text", "json", "github"} {
		t.Run(output, func(t *testing.T) {
			streams, _, out, _ := iostreams.Test()
			err := Run(&Options{IO: streams, Files: []string{filepath.Join("testdata", "plans.yaml")}, Output: output})
			assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err))
			assert.True(t, cmdutil.Reported(err), "the diagnostics said it")
			cmdtest.Golden(t, "plans."+output, out.Bytes())
		})
	}
}
