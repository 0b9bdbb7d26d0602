package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns ../shared (the reference fixtures: upstream CRDs and samples, Clusternet's CRDs)
// joined with elem. Fixtures are read in place, never copied into the repository. Where ../shared
// is absent the test is skipped saying so; under CI=true that is a failure.
func SharedDir(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(append([]string{root, "..", "shared"}, elem...)...)
	if _, err := os.Stat(dir); err != nil {
		if InCI() {
			t.Fatalf("reference fixtures required under CI=true: %v", err)
		}
		t.Skipf("reference fixtures absent (%v); they live in ../shared next to the repository", err)
	}
	return dir
}
