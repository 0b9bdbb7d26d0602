// Package version holds drctl's build identity, stamped by the linker (see the Makefile's LDFLAGS
// and .goreleaser.yaml).
package version

import "runtime"

// Stamped at build time with -ldflags "-X github.com/drctl/drctl/internal/version.Version=...".
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// Info is drctl's build identity.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
}

// Get returns the build identity of the running binary.
func Get() Info {
	return Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
}
