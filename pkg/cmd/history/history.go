// Package history is `drctl history`: every execution of a plan, newest first, however many
// there are (a plan's status keeps only the last ten).
package history

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmd/get"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Options are the arguments and flags of drctl history.
type Options struct {
	IO         *iostreams.IOStreams
	KubeClient func() (client.WithWatch, string, error)
	Now        func() time.Time

	get.ListFlags
	// Plan is the plan whose executions are listed.
	Plan string
}

// NewCmdHistory builds the command; runF, when set, runs instead of Run once the arguments and
// flags are checked.
func NewCmdHistory(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, KubeClient: f.KubeClient, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "history PLAN",
		Short: "List every execution of a plan, newest first",
		Long: `History lists all DRPlanExecutions of a plan (by the dr.bkbcs.tencent.com/plan label), newest
first, in pages, however many there are. A plan's status keeps only the last ten.`,
		Example: `  drctl history prod-failover -n dr
  drctl history prod-failover -o wide`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteNameOf(f, v1alpha1.KindDRPlan),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			if err := opts.ListFlags.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	opts.AddListFlags(cmd)
	cmd.AddCommand(NewCmdPrune(f, nil))
	return cmd
}

// Run lists the plan's executions, newest first, and prints them.
func Run(ctx context.Context, o *Options) error {
	c, ns, err := o.KubeClient()
	if err != nil {
		return err
	}
	if o.AllNamespaces {
		ns = ""
	}
	reqs, _ := o.Selector.Requirements()
	sel := PlanSelector(o.Plan).Add(reqs...)
	obj, err := cmdutil.ListKind(ctx, c, v1alpha1.KindDRPlanExecution, ns, "", sel)
	if err != nil {
		return err
	}
	list := obj.(*v1alpha1.DRPlanExecutionList)
	slices.SortStableFunc(list.Items, func(a, b v1alpha1.DRPlanExecution) int {
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(b.Name, a.Name))
	})
	return o.Print(o.IO, list, ns, o.Now())
}
