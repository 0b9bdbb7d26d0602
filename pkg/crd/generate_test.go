package crd_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
)

// TestGeneratedFilesAreCurrent regenerates deepcopy functions and CRDs on a copy of the tree and
// fails when the committed files differ: someone changed a type without running `make generate`.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	controllerGen := filepath.Join(root, "bin", "controller-gen")
	if _, err := os.Stat(controllerGen); err != nil {
		if testenv.InCI() {
			t.Fatalf("bin/controller-gen is required under CI=true (make test-tools builds it): %v", err)
		}
		t.Skip("bin/controller-gen not built; run `make test-tools`")
	}

	work := t.TempDir()
	for _, p := range []string{"go.mod", "go.sum", "pkg/crd", "hack/generate.sh", "hack/boilerplate.go.txt", "hack/crdcompat"} {
		copyTree(t, filepath.Join(root, p), filepath.Join(work, p))
	}
	cmd := exec.Command("bash", "hack/generate.sh")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "CONTROLLER_GEN="+controllerGen)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "hack/generate.sh: %s", out)

	var stale []string
	err = filepath.WalkDir(filepath.Join(root, "pkg", "crd"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, "zz_generated.deepcopy.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		committed, _ := os.ReadFile(p)
		fresh, err := os.ReadFile(filepath.Join(work, rel))
		if err != nil || string(committed) != string(fresh) {
			stale = append(stale, rel)
		}
		return nil
	})
	require.NoError(t, err)
	// A file the generator makes that is not in the tree at all (a new kind's CRD, say).
	err = filepath.WalkDir(filepath.Join(work, "pkg", "crd"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, "zz_generated.deepcopy.go")) {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			stale = append(stale, rel+" (generated, missing from the tree)")
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, stale, "generated files are stale; run `make generate` and commit the result")
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	require.NoError(t, err)
}
