package install

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		mode    DryRunMode
		wantErr string
	}{
		{name: "apply", mode: DryRunNone},
		{name: "server dry run", args: []string{"--dry-run=server", "--serve"}, mode: DryRunServer},
		{name: "print json", args: []string{"--dry-run=client", "-o", "json"}, mode: DryRunClient},
		{name: "unknown dry run", args: []string{"--dry-run=maybe"}, wantErr: `invalid --dry-run value "maybe": want "none", "server" or "client"`},
		{name: "output without printing", args: []string{"-o", "json"}, wantErr: "-o/--output prints the manifests: it needs --dry-run=client"},
		{name: "unknown output", args: []string{"--dry-run=client", "-o", "toml"}, wantErr: `unknown -o "toml": want yaml or json`},
		{name: "arguments", args: []string{"now"}, wantErr: `unknown command "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cmdtest.Parse(NewCmdInstall, tc.args...)
			if tc.wantErr != "" {
				cmdtest.AssertUsageError(t, err, tc.wantErr, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.mode, got.DryRun)
			assert.Equal(t, "drctl-system", got.Manifest.Namespace, "without -n, serve goes to drctl-system")
		})
	}
}

// --dry-run=client prints without a cluster: the Factory here has none.
func TestPrintingNeedsNoCluster(t *testing.T) {
	f, streams := cmdtest.NewFactory()
	require.NoError(t, cmdtest.Execute(NewCmdInstall(f, nil), streams.IOStreams, "--dry-run=client", "--serve"))
	assert.Contains(t, streams.Out.String(), "kind: CustomResourceDefinition")
	assert.Contains(t, streams.Out.String(), "kind: Deployment")
	err := cmdtest.Execute(NewCmdInstall(f, nil), streams.IOStreams)
	assert.ErrorIs(t, err, cmdtest.ErrNoCluster)
}
