// Package version is `drctl version`: the version, commit, build date and Go version of the
// binary, as text or JSON.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/internal/version"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// Options are the flags of drctl version.
type Options struct {
	IO     *iostreams.IOStreams
	Output string
}

// NewCmdVersion builds the command; runF, when set, runs instead of Run (see validate).
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print drctl's version, commit, build date and Go version",
		Example: "  drctl version\n  drctl version -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	switch o.Output {
	case "", "text", "json":
		return nil
	}
	return cmdutil.Invalidf("unknown output format %q: want text or json", o.Output)
}

// Run prints the version.
func Run(o *Options) error {
	info := version.Get()
	if o.Output == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(o.IO.Out, "drctl %s (commit %s, built %s, %s)\n", info.Version, info.Commit, info.Date, info.GoVersion)
	return nil
}
