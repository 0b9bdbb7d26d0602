package testenv

import (
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
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

// ClusternetCRDs reads Clusternet's real CRDs from ../shared/clusternet/crds, for tests that
// install them next to drctl's. It returns none where ../shared is absent (tests that need them
// call SharedDir, which skips or, under CI, fails).
func ClusternetCRDs() []*apiextensionsv1.CustomResourceDefinition {
	root, err := ModuleRoot()
	if err != nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(root, "..", "shared", "clusternet", "crds", "*.yaml"))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		c := &apiextensionsv1.CustomResourceDefinition{}
		if yaml.Unmarshal(data, c) == nil {
			crds = append(crds, c)
		}
	}
	return crds
}
