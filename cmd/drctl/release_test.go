package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
)

// TestReleaseConfigIsValid runs `goreleaser check` on .goreleaser.yaml with the pinned goreleaser.
func TestReleaseConfigIsValid(t *testing.T) {
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	bin := filepath.Join(root, "bin", "goreleaser")
	if _, err := os.Stat(bin); err != nil {
		if testenv.InCI() {
			t.Fatalf("bin/goreleaser is required under CI=true (make test-tools builds it): %v", err)
		}
		t.Skip("bin/goreleaser not built; run `make test-tools`")
	}
	cmd := exec.Command(bin, "check")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
