package cmdutil

import "github.com/spf13/cobra"

// CompleteNameOf is the shell completion of a command whose one argument names an object of kind
// (DRPlan, DRPlanExecution): the names in the cluster, and no file names.
func CompleteNameOf(f *Factory, kind string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 || f.CompleteNames == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f.CompleteNames(cmd.Context(), kind), cobra.ShellCompDirectiveNoFileComp
	}
}
