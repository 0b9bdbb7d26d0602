package cmdutil

import "github.com/spf13/cobra"

// ExactArgs is cobra.ExactArgs whose error is a usage error (exit code 2), as a flag error is.
func ExactArgs(n int) cobra.PositionalArgs { return usage(cobra.ExactArgs(n)) }

// NoArgs is cobra.NoArgs as a usage error.
var NoArgs = usage(cobra.NoArgs)

func usage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return Invalid(err)
		}
		return nil
	}
}

// RangeArgs is cobra.RangeArgs as a usage error.
func RangeArgs(lo, hi int) cobra.PositionalArgs { return usage(cobra.RangeArgs(lo, hi)) }
