package get

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ListFlags are the flags of commands that list drctl's objects (get, history): -o, -l, -A.
type ListFlags struct {
	RawSelector   string
	Selector      labels.Selector
	AllNamespaces bool
	PrintFlags    *genericclioptions.PrintFlags
}

// AddListFlags binds the flags to cmd.
func (o *ListFlags) AddListFlags(cmd *cobra.Command) {
	o.PrintFlags = genericclioptions.NewPrintFlags("").WithTypeSetter(crd.NewScheme())
	o.PrintFlags.AddFlags(cmd)
	cmd.Flags().StringVarP(&o.RawSelector, "selector", "l", "", "label selector, e.g. drplan=prod-failover")
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list across all namespaces")
}

// Complete parses -l and checks -o (exit code 2 when either is wrong).
func (o *ListFlags) Complete() error {
	sel, err := labels.Parse(o.RawSelector)
	if err != nil {
		return cmdutil.Invalidf("-l %q: %v", o.RawSelector, err)
	}
	o.Selector = sel
	switch format := o.format(); format {
	case "", "table", "wide":
	default:
		if _, err := o.PrintFlags.ToPrinter(); err != nil {
			return cmdutil.Invalidf("-o %s: %v", format, err)
		}
	}
	return nil
}

func (o *ListFlags) format() string {
	if o.PrintFlags.OutputFormat == nil {
		return ""
	}
	return *o.PrintFlags.OutputFormat
}

// Print writes list, read in namespace ns ("" for all), as a table (default, wide) or with
// cli-runtime's printers (json, yaml, name); ages are counted to now.
func (o *ListFlags) Print(streams *iostreams.IOStreams, list client.ObjectList, ns string, now time.Time) error {
	items := cmdutil.Items(list)
	if len(items) == 0 {
		if ns == "" {
			fmt.Fprintln(streams.ErrOut, "No resources found")
		} else {
			fmt.Fprintf(streams.ErrOut, "No resources found in %s namespace.\n", ns)
		}
		return nil
	}
	format := o.format()
	if format == "" || format == "table" || format == "wide" {
		var table runtime.Object
		switch l := list.(type) {
		case *v1alpha1.DRPlanList:
			table = planTable(l.Items, now)
		case *v1alpha1.DRWorkflowList:
			table = workflowTable(l.Items, now)
		case *v1alpha1.DRPlanExecutionList:
			table = executionTable(l.Items, now)
		}
		return printers.NewTablePrinter(printers.PrintOptions{Wide: format == "wide", WithNamespace: o.AllNamespaces}).PrintObj(table, streams.Out)
	}
	p, err := o.PrintFlags.ToPrinter()
	if err != nil {
		return cmdutil.Invalidf("%v", err)
	}
	if format == "name" {
		for _, obj := range items {
			if err := p.PrintObj(obj, streams.Out); err != nil {
				return err
			}
		}
		return nil
	}
	return p.PrintObj(list, streams.Out)
}
