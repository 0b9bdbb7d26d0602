// Command image builds drctl's container image from a static linux binary, with no container
// daemon: one layer holding /drctl, run as a non-root user. It writes a tarball that `docker
// load`, `podman load` and `kind load image-archive` accept, and an OCI image layout that `crane
// push` or `skopeo copy` publish.
//
//	image --binary dist/image/drctl --tag ghcr.io/drctl/drctl:v1.2.3 --tarball dist/drctl-image.tar --oci dist/oci
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonRoot is the user and group the image runs as (the Deployment of `drctl install --serve`
// says the same).
const nonRoot = 65532

func main() {
	binary := flag.String("binary", "", "the static linux drctl binary")
	tag := flag.String("tag", "ghcr.io/drctl/drctl:dev", "the image's name and tag")
	arch := flag.String("arch", "amd64", "the binary's architecture")
	version := flag.String("version", "dev", "drctl's version, for the image's labels")
	tarPath := flag.String("tarball", "", "write a docker-archive tarball here")
	ociDir := flag.String("oci", "", "write an OCI image layout here")
	flag.Parse()
	if err := run(*binary, *tag, *arch, *version, *tarPath, *ociDir); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, tag, arch, version, tarPath, ociDir string) error {
	if binary == "" || (tarPath == "" && ociDir == "") {
		return fmt.Errorf("--binary and at least one of --tarball and --oci are required")
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	img, err := build(bin, arch, version)
	if err != nil {
		return err
	}
	if tarPath != "" {
		if err := tarball.WriteToFile(tarPath, ref, img); err != nil {
			return fmt.Errorf("write %s: %w", tarPath, err)
		}
	}
	if ociDir != "" {
		p, err := layout.Write(ociDir, empty.Index)
		if err != nil {
			return err
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref.String()})); err != nil {
			return fmt.Errorf("write %s: %w", ociDir, err)
		}
	}
	return nil
}

// build is the image: drctl as /drctl and its entrypoint, run as a non-root user. The layer's
// timestamps are fixed, so the same binary always makes the same image.
func build(bin []byte, arch, version string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, ModTime: epoch}); err != nil {
		return nil, err
	}
	hdr := &tar.Header{Name: "drctl", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Created = "linux", arch, v1.Time{Time: epoch}
	cfg.Config.Entrypoint = []string{"/drctl"}
	cfg.Config.Cmd = []string{"serve"}
	cfg.Config.User = fmt.Sprintf("%d:%d", nonRoot, nonRoot)
	cfg.Config.WorkingDir = "/"
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   "drctl",
		"org.opencontainers.image.source":  "https://github.com/drctl/drctl",
		"org.opencontainers.image.version": version,
	}
	return mutate.ConfigFile(img, cfg)
}
