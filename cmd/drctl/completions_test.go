package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/cmd/root"
)

var shells = []string{"bash", "zsh", "fish", "powershell"}

// TestCommittedCompletionsAreCurrent: completions/ holds what `drctl completion SHELL` prints
// (regenerate with `make completions`).
func TestCommittedCompletionsAreCurrent(t *testing.T) {
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	for _, shell := range shells {
		code, out, errOut := drctl(t, "", "completion", shell)
		require.Equal(t, 0, code, errOut)
		committed, err := os.ReadFile(filepath.Join(root, "completions", "drctl."+shell))
		require.NoError(t, err, "run `make completions`")
		assert.Equal(t, out, string(committed), "completions/drctl.%s is stale: run `make completions`", shell)
	}
	helper, err := os.ReadFile(filepath.Join(root, "completions", "kubectl_complete-dr"))
	require.NoError(t, err)
	assert.Contains(t, string(helper), "kubectl-dr __complete")
}

func TestCompletionOfCommandsAndNamesNeverHangs(t *testing.T) {
	code, out, _ := drctl(t, "", "__complete", "ex")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "execute\t")
	// A dead cluster: completion gives up quickly and offers nothing (no file names either). A
	// shell waits for completion with the user's cursor frozen: it must end within seconds.
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, out, _ = drctl(t, "", "__complete", "get", "plans", "--server", "https://10.255.255.1:6443", "")
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("completion against an unreachable cluster still runs after 15 s")
	}
	require.Equal(t, 0, code)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out), ":4"), "ShellCompDirectiveNoFileComp: %q", out)
}

func TestRunningAsTheKubectlPlugin(t *testing.T) {
	assert.Equal(t, "kubectl dr", root.DisplayName("/usr/local/bin/kubectl-dr"))
	assert.Equal(t, "kubectl dr", root.DisplayName(`C:\bin\kubectl-dr.exe`))
	assert.Equal(t, "drctl", root.DisplayName("./bin/drctl"))
	streams, _, out, _ := iostreams.Test()
	code := root.Run(context.Background(), "kubectl dr", streams, []string{"execute", "--help"}, nil)
	require.Equal(t, 0, code)
	assert.Contains(t, out.String(), "kubectl dr execute PLAN [flags]")
	assert.Contains(t, out.String(), "  kubectl dr execute prod-failover --dry-run")
	assert.False(t, bytes.Contains(out.Bytes(), []byte("  drctl execute")))
}
