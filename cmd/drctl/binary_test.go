package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// drctlBinary builds the real binary once per test run, into a directory that lasts the run.
func drctlBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := testenv.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "drctl-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "drctl")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/drctl")
		cmd.Dir = root
		buildOut, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "%s", buildOut)
	return builtBin
}
