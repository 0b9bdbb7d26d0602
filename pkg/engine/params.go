package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

// ValueFromResolver reads a parameter's value from the cluster (valueFrom.manifestRef or
// valueFrom.secretKeyRef).
type ValueFromResolver func(ctx context.Context, namespace string, from *v1alpha1.ParameterValueFrom) (string, error)

// paramSource is one layer of parameter values, weakest first.
type paramSource struct {
	what   string
	params []v1alpha1.Parameter
}

// ResolveWorkflowParams computes the parameter values one workflow of a plan runs with, each layer
// overriding the one before: the workflow's declarations < the plan's globalParams < the stage's
// params < the execution's params (and spec.mode as "mode"). A declaration's value is its value,
// else what its valueFrom reads — only when no other layer supplies the parameter, so an object a
// supplied value makes irrelevant is never read — else its default. A supplied parameter with
// default but no value counts as supplied with that value, as validation warns. Every declared
// parameter without a value after all layers is an error, as is a value of the wrong type.
func ResolveWorkflowParams(ctx context.Context, wf *v1alpha1.DRWorkflowSpec, plan *v1alpha1.DRPlan, ref v1alpha1.WorkflowReference,
	exec *v1alpha1.DRPlanExecution, valueFrom ValueFromResolver) (map[string]string, error) {
	out := map[string]string{}
	var errs []string
	for _, p := range wf.Parameters {
		switch {
		case p.Value != nil:
			out[p.Name] = *p.Value
		case p.Default != nil && !hasValueFrom(p):
			out[p.Name] = *p.Default
		}
	}
	supplied := map[string]bool{}
	for _, layer := range [][]v1alpha1.Parameter{plan.Spec.GlobalParams, ref.Params, exec.Spec.Params} {
		for _, p := range layer {
			supplied[p.Name] = true
		}
	}
	for _, p := range wf.Parameters {
		if p.Value != nil || !hasValueFrom(p) || supplied[p.Name] {
			continue
		}
		layer := paramSource{"spec.parameters of workflow " + ref.WorkflowRef.Name, []v1alpha1.Parameter{p}}
		if err := applyLayer(ctx, out, layer, planNamespace(plan), valueFrom); transient(err) {
			return nil, fmt.Errorf("workflow %s: %w", ref.WorkflowRef.Name, err) // a read that failed on the way
		} else if err != nil {
			errs = append(errs, err.Error())
		}
	}
	layers := []paramSource{
		{"spec.globalParams of plan " + plan.Name, plan.Spec.GlobalParams},
		{"stage params", ref.Params},
		{"spec.params of execution " + exec.Name, exec.Spec.Params},
	}
	for _, layer := range layers {
		if err := applyLayer(ctx, out, layer, planNamespace(plan), valueFrom); transient(err) {
			return nil, fmt.Errorf("workflow %s: %w", ref.WorkflowRef.Name, err)
		} else if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if exec.Spec.Mode != "" {
		out["mode"] = string(exec.Spec.Mode)
	}
	sensitive := sensitiveParams(wf.Parameters, plan.Spec.GlobalParams, ref.Params, exec.Spec.Params)
	for _, p := range wf.Parameters {
		v, ok := out[p.Name]
		if !ok {
			errs = append(errs, fmt.Sprintf("parameter %q is required and has no value", p.Name))
			continue
		}
		if msg := validate.TypeMismatch(p.Type, v); msg != "" {
			shown := strconv.Quote(v)
			if slices.Contains(sensitive, p.Name) {
				shown = "its value (sensitive, not shown)"
			}
			errs = append(errs, fmt.Sprintf("parameter %q: %s is %s", p.Name, shown, msg))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return nil, fmt.Errorf("workflow %s: %s", ref.WorkflowRef.Name, strings.Join(errs, "; "))
	}
	return out, nil
}

// ResolvePlanParams is the plan-level snapshot: globalParams overridden by the execution's params.
func ResolvePlanParams(ctx context.Context, plan *v1alpha1.DRPlan, exec *v1alpha1.DRPlanExecution, valueFrom ValueFromResolver) (map[string]string, error) {
	out := map[string]string{}
	for _, layer := range []paramSource{
		{"spec.globalParams of plan " + plan.Name, plan.Spec.GlobalParams},
		{"spec.params of execution " + exec.Name, exec.Spec.Params},
	} {
		if err := applyLayer(ctx, out, layer, planNamespace(plan), valueFrom); err != nil {
			return nil, err
		}
	}
	if exec.Spec.Mode != "" {
		out["mode"] = string(exec.Spec.Mode)
	}
	return out, nil
}

func applyLayer(ctx context.Context, out map[string]string, layer paramSource, namespace string, valueFrom ValueFromResolver) error {
	for _, p := range layer.params {
		switch {
		case p.Value != nil:
			out[p.Name] = *p.Value
		case hasValueFrom(p):
			if valueFrom == nil {
				return fmt.Errorf("%s: parameter %q: valueFrom cannot be resolved here", layer.what, p.Name)
			}
			v, err := valueFrom(ctx, namespace, p.ValueFrom)
			if err != nil {
				return fmt.Errorf("%s: parameter %q: valueFrom: %w", layer.what, p.Name, err)
			}
			out[p.Name] = v
		case p.Default != nil:
			out[p.Name] = *p.Default
		}
	}
	return nil
}

func hasValueFrom(p v1alpha1.Parameter) bool {
	return p.ValueFrom != nil && (p.ValueFrom.ManifestRef != nil || p.ValueFrom.SecretKeyRef != nil)
}

// planNamespace is where a plan's objects live by default.
func planNamespace(plan *v1alpha1.DRPlan) string {
	if plan.Namespace == "" {
		return "default"
	}
	return plan.Namespace
}
