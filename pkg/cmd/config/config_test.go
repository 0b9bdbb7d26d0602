package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
)

// config view names every key's value and source, against a golden file: one key from the file,
// one from the environment (which wins), the rest built in.
func TestViewGolden(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(file, []byte("progress: plain\nlock-timeout: 2m\n"), 0o600))
	t.Setenv("DRCTL_CONFIG", file)
	t.Setenv("DRCTL_LOCK_TIMEOUT", "5m")
	for _, k := range []string{"DRCTL_NAMESPACE", "DRCTL_PROGRESS", "DRCTL_LOG_FORMAT", "DRCTL_KUBE_API_QPS", "DRCTL_KUBE_API_BURST", "DRCTL_REDACT_HEADER"} {
		t.Setenv(k, "")
	}
	f, streams := cmdtest.NewFactory()
	require.NoError(t, cmdtest.Execute(NewCmdConfig(f), streams.IOStreams, "view"))
	out := streams.Out.String()
	cmdtest.Golden(t, "view", []byte(out[len("# config file: "+file+"\n"):]))
}
