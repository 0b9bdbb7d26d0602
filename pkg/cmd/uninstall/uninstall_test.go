package uninstall

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// Uninstall deletes every object of drctl's kinds: it runs only when confirmed, by --yes or on a
// terminal, and nothing runs otherwise.
func TestConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		terminal bool
		answer   string
		code     int
		runs     bool
		says     string
	}{
		{name: "--yes", args: []string{"--yes"}, runs: true},
		{name: "server dry run asks nothing", args: []string{"--dry-run=server"}, runs: true},
		{name: "no terminal", code: cmdutil.ExitInvalid, says: "no terminal to ask on; pass --yes"},
		{name: "terminal, yes", terminal: true, answer: "yes\n", runs: true},
		{name: "terminal, no", terminal: true, answer: "n\n", code: cmdutil.ExitCanceled, says: "aborted: nothing was changed"},
		{name: "client dry run", args: []string{"--dry-run=client", "--yes"}, code: cmdutil.ExitInvalid, says: "use --dry-run=server"},
		{name: "unknown dry run", args: []string{"--dry-run=all", "--yes"}, code: cmdutil.ExitInvalid, says: `invalid --dry-run value "all"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, streams := cmdtest.NewFactory()
			streams.StdinTTY, streams.StderrTTY = tc.terminal, tc.terminal
			streams.In.WriteString(tc.answer)
			ran := false
			err := cmdtest.Execute(NewCmdUninstall(f, func(context.Context, *Options) error { ran = true; return nil }), streams.IOStreams, tc.args...)
			assert.Equal(t, tc.code, cmdutil.ExitCode(err), "%v", err)
			assert.Equal(t, tc.runs, ran)
			if tc.says != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.says)
			}
			if tc.terminal {
				assert.Contains(t, streams.ErrOut.String(), "every object of those kinds in the cluster.\nContinue? [y/N] ")
			}
		})
	}
}
