// Package get is `drctl get`: drctl's objects listed like kubectl get lists them, as a table or
// with cli-runtime's printers (json, yaml, name). Its ListFlags print `drctl history` too.
package get

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
)

// Options are the arguments and flags of drctl get.
type Options struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	Now        func() time.Time

	ListFlags
	// Kind is the kind listed; Name, when set, the one object to get.
	Kind, Name string
}

// NewCmdGet builds the command; runF, when set, runs instead of Run once the arguments and flags
// are checked.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, KubeClient: f.KubeClient, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "get plans|workflows|executions [NAME]",
		Short: "List DR plans, workflows or executions",
		Long: `Get lists drctl's objects like kubectl get: a table by default (-o wide for more columns), or
the objects as -o json, yaml or name.`,
		Example: `  drctl get plans -A
  drctl get executions -l drplan=prod-failover -o wide
  drctl get execution prod-failover-20261128-031500-a1b2 -o yaml`,
		Args: cmdutil.RangeArgs(1, 2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"plans", "workflows", "executions"}, cobra.ShellCompDirectiveNoFileComp
			}
			kind, _ := cmdutil.ResourceKind(args[0])
			if f.CompleteNames == nil || len(args) > 1 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return f.CompleteNames(cmd.Context(), kind), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Complete(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.AddListFlags(cmd)
	return cmd
}

// Complete takes the arguments (a resource, perhaps a name) and checks the flags.
func (o *Options) Complete(args []string) error {
	kind, ok := cmdutil.ResourceKind(args[0])
	if !ok {
		return cmdutil.Invalidf("unknown resource %q: want plans, workflows or executions", args[0])
	}
	o.Kind = kind
	if len(args) == 2 {
		o.Name = args[1]
	}
	return o.ListFlags.Complete()
}

// Run lists the objects and prints them.
func Run(ctx context.Context, o *Options) error {
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	if o.AllNamespaces {
		ns = ""
	}
	list, err := cmdutil.ListKind(ctx, c, o.Kind, ns, o.Name, o.Selector)
	if err != nil {
		return err
	}
	return o.Print(o.IO, list, ns, o.Now())
}
