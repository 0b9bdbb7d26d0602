package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// loaded is a plan and the workflows it references, as stored in the cluster.
type loaded struct {
	plan      *v1alpha1.DRPlan
	workflows map[string]*v1alpha1.DRWorkflow // by namespace/name
	missing   []string
	// warnings are validation's warnings about the run's own parameters (a name no workflow
	// knows: likely a typo), for the person who typed them.
	warnings []string
}

// loadParallelism bounds the workflow reads in flight: a plan's workflows are read at once, not
// one round trip after another, before its first action can start.
const loadParallelism = 16

// loadPlan reads a plan and every workflow it references.
func (e *Engine) loadPlan(ctx context.Context, namespace, name string) (*loaded, error) {
	return loadPlanFrom(ctx, e.cfg.Client, namespace, name)
}

// CheckRun says why exec cannot run with its plan and workflows as they are now: the rules a run
// applies before it creates anything, as an *InvalidError (a failed read is returned as it is).
// It reads through c and changes nothing, for an admission webhook. A Revert is not checked
// against its plan: it runs from the record of the execution it undoes.
func CheckRun(ctx context.Context, c client.Reader, exec *v1alpha1.DRPlanExecution) error {
	if exec.Spec.OperationType != v1alpha1.OperationExecute {
		return nil
	}
	l, err := loadPlanFrom(ctx, c, exec.Namespace, exec.Spec.PlanRef)
	if err != nil {
		return err
	}
	if len(l.missing) > 0 {
		return invalidf("DRPlan %s/%s references missing workflows: %v", l.plan.Namespace, l.plan.Name, l.missing)
	}
	return l.validate(exec)
}

func loadPlanFrom(ctx context.Context, c client.Reader, namespace, name string) (*loaded, error) {
	plan := &v1alpha1.DRPlan{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, plan); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, invalidf("DRPlan %s/%s not found", namespace, name)
		}
		return nil, fmt.Errorf("get DRPlan %s/%s: %w", namespace, name, err)
	}
	var keys []client.ObjectKey
	seen := map[string]bool{}
	for _, st := range plan.Spec.Stages {
		for _, ref := range st.Workflows {
			key := client.ObjectKey{Namespace: validate.WorkflowNamespace(plan, ref.WorkflowRef), Name: ref.WorkflowRef.Name}
			if !seen[key.String()] {
				seen[key.String()] = true
				keys = append(keys, key)
			}
		}
	}
	found := make([]*v1alpha1.DRWorkflow, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loadParallelism)
	for i, key := range keys {
		g.Go(func() error {
			wf := &v1alpha1.DRWorkflow{}
			err := c.Get(gctx, key, wf)
			switch {
			case apierrors.IsNotFound(err):
				return nil
			case err != nil:
				return fmt.Errorf("get DRWorkflow %s: %w", workflowKey(key.Namespace, key.Name), err)
			}
			found[i] = wf
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	l := &loaded{plan: plan, workflows: map[string]*v1alpha1.DRWorkflow{}}
	for i, key := range keys { // in the plan's order, as the messages name them
		if found[i] == nil {
			l.missing = append(l.missing, workflowKey(key.Namespace, key.Name))
			continue
		}
		l.workflows[workflowKey(key.Namespace, key.Name)] = found[i]
	}
	return l, nil
}

// Workflow, Plan and Execution make loaded a validate.Resolver: references resolve among what
// was read from the cluster.
func (l *loaded) Workflow(namespace, name string) (*v1alpha1.DRWorkflow, bool) {
	wf, ok := l.workflows[workflowKey(namespace, name)]
	return wf, ok
}

func (l *loaded) Plan(namespace, name string) (*v1alpha1.DRPlan, bool) {
	if l.plan.Namespace == namespace && l.plan.Name == name {
		return l.plan, true
	}
	return nil, false
}

func (l *loaded) Execution(string, string) (*v1alpha1.DRPlanExecution, bool) { return nil, false }

// validate checks the plan, its workflows and the new execution with pkg/validate's rules.
func (l *loaded) validate(exec *v1alpha1.DRPlanExecution) error {
	var diags []validate.Diagnostic
	add := func(kind, ns, name string, fs validate.Findings) {
		for _, f := range fs {
			diags = append(diags, validate.Diagnostic{Severity: f.Severity, Kind: kind, Namespace: ns, Name: name, Field: f.Field, Message: f.Message})
		}
	}
	refs := validate.RefCheck{Resolver: l, MissingSeverity: validate.SeverityError}
	var execParams []v1alpha1.Parameter
	if exec != nil {
		execParams = exec.Spec.Params
	}
	add(v1alpha1.KindDRPlan, l.plan.Namespace, l.plan.Name, validate.CheckPlanRun(l.plan, refs, execParams))
	for _, wf := range l.workflows {
		supply := func(param string) (supplying, missing []string) {
			if suppliedBy(l.plan, wf, param) || (exec != nil && slices.ContainsFunc(exec.Spec.Params, func(p v1alpha1.Parameter) bool { return p.Name == param })) {
				return []string{l.plan.Name}, nil
			}
			return nil, []string{l.plan.Name}
		}
		add(v1alpha1.KindDRWorkflow, wf.Namespace, wf.Name, validate.CheckWorkflow(wf, supply))
	}
	if exec != nil {
		add(v1alpha1.KindDRPlanExecution, exec.Namespace, exec.Name, validate.CheckExecution(exec, validate.RefCheck{}))
	}
	l.warnings = nil
	for _, d := range diags {
		if d.Severity == validate.SeverityWarning && strings.HasPrefix(d.Field, validate.ExecutionParamsField) {
			l.warnings = append(l.warnings, d.Message)
		}
	}
	if errs, _ := validate.Count(diags); errs > 0 {
		validate.Sort(diags)
		return &InvalidError{What: fmt.Sprintf("DRPlan %s/%s cannot run:", l.plan.Namespace, l.plan.Name), Diagnostics: diags}
	}
	return nil
}

// suppliedBy reports whether the plan supplies param to every reference of wf.
func suppliedBy(plan *v1alpha1.DRPlan, wf *v1alpha1.DRWorkflow, param string) bool {
	for _, p := range plan.Spec.GlobalParams {
		if p.Name == param {
			return true
		}
	}
	for _, st := range plan.Spec.Stages {
		for _, ref := range st.Workflows {
			if ref.WorkflowRef.Name != wf.Name || validate.WorkflowNamespace(plan, ref.WorkflowRef) != wf.Namespace {
				continue
			}
			found := false
			for _, p := range ref.Params {
				found = found || p.Name == param
			}
			if !found {
				return false
			}
		}
	}
	return true
}
