package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The tarball loads as the tagged image (what docker/podman/kind load read), runs /drctl as a
// non-root user, and holds the binary byte for byte; the OCI layout holds the same image.
func TestImageTarballAndLayout(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "drctl")
	content := []byte("#!/not/really/a/binary\n")
	if err := writeFile(bin, content); err != nil {
		t.Fatal(err)
	}
	tarPath, ociDir := filepath.Join(dir, "image.tar"), filepath.Join(dir, "oci")
	if err := run(bin, "registry.example.com/drctl:v9", "arm64", "v9", tarPath, ociDir); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("registry.example.com/drctl:v9")
	img, err := tarball.ImageFromPath(tarPath, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Entrypoint; len(got) != 1 || got[0] != "/drctl" {
		t.Errorf("entrypoint %v", got)
	}
	if cfg.Config.User != "65532:65532" || cfg.OS != "linux" || cfg.Architecture != "arm64" {
		t.Errorf("user %q, platform %s/%s", cfg.Config.User, cfg.OS, cfg.Architecture)
	}
	if cfg.Config.Labels["org.opencontainers.image.version"] != "v9" {
		t.Errorf("labels %v", cfg.Config.Labels)
	}
	files := map[string]*tar.Header{}
	tr := tar.NewReader(mutate.Extract(img))
	var got []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
		if h.Name == "drctl" {
			got, _ = io.ReadAll(tr)
		}
	}
	if h := files["drctl"]; h == nil || h.Mode != 0o755 || string(got) != string(content) {
		t.Errorf("/drctl in the image: %+v, %q", h, got)
	}
	if h := files["tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp in the image: %+v", h)
	}

	idx, err := layout.ImageIndexFromPath(ociDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != tag.String() {
		t.Fatalf("OCI layout index %+v", m.Manifests)
	}
	fromLayout, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	// The same image in both (a docker tarball stores its own kind of manifest: compare configs).
	want, _ := img.ConfigName()
	if got, _ := fromLayout.ConfigName(); got != want {
		t.Errorf("the OCI layout's image has config %s, the tarball's %s", got, want)
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o755) }
