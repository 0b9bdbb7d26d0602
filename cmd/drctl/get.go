package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// listOptions are the flags of commands that list.
type listOptions struct {
	selector      string
	allNamespaces bool
	printFlags    *genericclioptions.PrintFlags
}

func (o *listOptions) add(cmd *cobra.Command) {
	o.printFlags = genericclioptions.NewPrintFlags("").WithTypeSetter(crd.NewScheme())
	o.printFlags.AddFlags(cmd)
	cmd.Flags().StringVarP(&o.selector, "selector", "l", "", "label selector, e.g. drplan=prod-failover")
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
}

func newGetCommand(g *globals) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "get plans|workflows|executions [NAME]",
		Short: "List DR plans, workflows or executions",
		Long: `Get lists drctl's objects like kubectl get: a table by default (-o wide for more columns), or
the objects as -o json, yaml or name.`,
		Example: `  drctl get plans -A
  drctl get executions -l drplan=prod-failover -o wide
  drctl get execution prod-failover-20261128-031500-a1b2 -o yaml`,
		Args: cobra.RangeArgs(1, 2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"plans", "workflows", "executions"}, cobra.ShellCompDirectiveNoFileComp
			}
			kind, _ := cmdutil.ResourceKind(args[0])
			return completeNames(cmd.Context(), g, kind), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, ok := cmdutil.ResourceKind(args[0])
			if !ok {
				return cmdutil.Invalidf("unknown resource %q: want plans, workflows or executions", args[0])
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			return o.run(cmd.Context(), g, kind, name)
		},
	}
	o.add(cmd)
	return cmd
}

func (o *listOptions) run(ctx context.Context, g *globals, kind, name string) error {
	c, ns, err := kubeClient(g)
	if err != nil {
		return err
	}
	if o.allNamespaces {
		ns = ""
	}
	sel, err := labels.Parse(o.selector)
	if err != nil {
		return cmdutil.Invalidf("-l %q: %v", o.selector, err)
	}
	list, err := listKind(ctx, c, kind, ns, name, sel)
	if err != nil {
		return err
	}
	return o.print(g, list, ns)
}

// listKind lists (or gets, with a name) objects of kind, all pages of them.
func listKind(ctx context.Context, c client.Client, kind, ns, name string, sel labels.Selector) (runtime.Object, error) {
	var list client.ObjectList
	switch kind {
	case v1alpha1.KindDRPlan:
		list = &v1alpha1.DRPlanList{}
	case v1alpha1.KindDRWorkflow:
		list = &v1alpha1.DRWorkflowList{}
	default:
		list = &v1alpha1.DRPlanExecutionList{}
	}
	opts := []client.ListOption{client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}}
	if name != "" {
		opts = append(opts, client.MatchingFields{"metadata.name": name})
	}
	if err := listAll(ctx, c, list, opts...); err != nil {
		return nil, err
	}
	if name != "" && isEmpty(list) {
		return nil, fmt.Errorf("%s %q not found in namespace %q", kind, name, ns)
	}
	return list, nil
}

// listAll lists in pages of 500, so 5000 executions never come in one response.
func listAll(ctx context.Context, c client.Client, list client.ObjectList, opts ...client.ListOption) error {
	page := list.DeepCopyObject().(client.ObjectList)
	cont := ""
	for {
		err := c.List(ctx, page, append(opts, client.Limit(500), client.Continue(cont))...)
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("the cluster does not serve drctl's kinds: run drctl install (%w)", err)
		}
		if err != nil {
			return err
		}
		appendItems(list, page)
		if cont = page.GetContinue(); cont == "" {
			return nil
		}
	}
}

func appendItems(into, page client.ObjectList) {
	switch l := into.(type) {
	case *v1alpha1.DRPlanList:
		l.Items = append(l.Items, page.(*v1alpha1.DRPlanList).Items...)
	case *v1alpha1.DRWorkflowList:
		l.Items = append(l.Items, page.(*v1alpha1.DRWorkflowList).Items...)
	case *v1alpha1.DRPlanExecutionList:
		l.Items = append(l.Items, page.(*v1alpha1.DRPlanExecutionList).Items...)
	}
}

func isEmpty(list client.ObjectList) bool {
	switch l := list.(type) {
	case *v1alpha1.DRPlanList:
		return len(l.Items) == 0
	case *v1alpha1.DRWorkflowList:
		return len(l.Items) == 0
	case *v1alpha1.DRPlanExecutionList:
		return len(l.Items) == 0
	}
	return true
}

// print writes list as a table (default, wide) or with cli-runtime's printers (json, yaml, name).
func (o *listOptions) print(g *globals, list runtime.Object, ns string) error {
	if isEmpty(list.(client.ObjectList)) {
		if ns == "" {
			fmt.Fprintln(g.streams.ErrOut, "No resources found")
		} else {
			fmt.Fprintf(g.streams.ErrOut, "No resources found in %s namespace.\n", ns)
		}
		return nil
	}
	format := ""
	if o.printFlags.OutputFormat != nil {
		format = *o.printFlags.OutputFormat
	}
	if format == "" || format == "table" || format == "wide" {
		now := time.Now()
		var table runtime.Object
		switch l := list.(type) {
		case *v1alpha1.DRPlanList:
			table = planTable(l.Items, now)
		case *v1alpha1.DRWorkflowList:
			table = workflowTable(l.Items, now)
		case *v1alpha1.DRPlanExecutionList:
			table = executionTable(l.Items, now)
		}
		return printers.NewTablePrinter(printers.PrintOptions{Wide: format == "wide", WithNamespace: o.allNamespaces}).PrintObj(table, g.streams.Out)
	}
	p, err := o.printFlags.ToPrinter()
	if err != nil {
		return cmdutil.Invalidf("%v", err)
	}
	if format == "name" {
		return printEach(list, func(obj runtime.Object) error { return p.PrintObj(obj, g.streams.Out) })
	}
	return p.PrintObj(list, g.streams.Out)
}

func printEach(list runtime.Object, fn func(runtime.Object) error) error {
	var objs []runtime.Object
	switch l := list.(type) {
	case *v1alpha1.DRPlanList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	case *v1alpha1.DRWorkflowList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	case *v1alpha1.DRPlanExecutionList:
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	}
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// kubeClient is a plain client and the namespace of the global flags.
func kubeClient(g *globals) (client.Client, string, error) {
	cfg, err := restConfig(g)
	if err != nil {
		return nil, "", err
	}
	ns, _, err := g.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: crd.NewScheme()})
	return c, ns, err
}

// completeNames lists names of kind for shell completion, giving up after two seconds so that a
// dead cluster never hangs the shell.
func completeNames(ctx context.Context, g *globals, kind string) []string {
	if kind == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, ns, err := kubeClient(g)
	if err != nil {
		return nil
	}
	list, err := listKind(ctx, c, kind, ns, "", labels.Everything())
	if err != nil {
		return nil
	}
	var names []string
	_ = printEach(list, func(obj runtime.Object) error {
		names = append(names, obj.(client.Object).GetName())
		return nil
	})
	slices.Sort(names)
	return names
}

func objectKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
