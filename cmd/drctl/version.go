package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/internal/version"
)

func newVersionCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print drctl's version, commit, build date and Go version",
		Example: "  drctl version\n  drctl version -o json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info := version.Get()
			switch output {
			case "json":
				enc := json.NewEncoder(g.streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			case "", "text":
				fmt.Fprintf(g.streams.Out, "drctl %s (commit %s, built %s, %s)\n", info.Version, info.Commit, info.Date, info.GoVersion)
				return nil
			}
			return invalidInput("unknown output format %q: want text or json", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
