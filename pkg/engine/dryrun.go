package engine

import (
	"context"
	"fmt"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// PlannedAction is one action of a dry run, rendered, with the rollback it would get.
type PlannedAction struct {
	Stage    string
	Workflow string
	// Action is the action as it would run (outputs of earlier actions show as $(outputs...)).
	Action *v1alpha1.Action
	// Rollback is the custom rollback, rendered; nil when there is none.
	Rollback *v1alpha1.Action
	// AutoRollback describes the automatic rollback when there is no custom one.
	AutoRollback string
}

// DryRun resolves the parameters and renders every action of a plan in execution order, with the
// rollback each would get, validating as Execute does and creating nothing.
func (e *Engine) DryRun(ctx context.Context, opts ExecuteOptions) ([]PlannedAction, error) {
	p, err := e.prepareExecute(ctx, opts)
	if err != nil {
		return nil, classify(err)
	}
	prog, exec := p.prog, p.exec
	var out []PlannedAction
	for i, sp := range prog.stages {
		for j, wp := range sp.workflows {
			vars := wp.vars
			vars.Outputs = outputPlaceholders(wp)
			for _, s := range wp.steps {
				rendered, err := RenderAction(s.action, vars)
				if err != nil {
					return nil, &InvalidError{What: err.Error()}
				}
				pa := PlannedAction{Stage: sp.name, Workflow: exec.Status.StageStatuses[i].WorkflowExecutions[j].WorkflowRef.Name, Action: rendered, Rollback: rendered.Rollback}
				rendered.Rollback = nil
				if pa.Rollback == nil {
					pa.AutoRollback = DescribeAutoRollback(rendered)
				}
				out = append(out, pa)
			}
		}
	}
	return out, nil
}

// outputPlaceholders makes outputs of a workflow's actions render as themselves in a dry run.
func outputPlaceholders(wp *workflowProgram) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, s := range wp.steps {
		fields := map[string]string{}
		for _, f := range []string{"name", "namespace", "kind", "apiVersion", "uid", "statusCode", "body", "latency", "existed"} {
			fields[f] = fmt.Sprintf("$(outputs.%s.%s)", s.name, f)
		}
		m[s.name] = fields
	}
	return m
}

// DescribeAutoRollback says what reverting an action without a custom rollback does.
func DescribeAutoRollback(a *v1alpha1.Action) string {
	op := func(o string) string {
		if o == "" {
			return string(v1alpha1.OperationCreate)
		}
		return o
	}
	switch a.Type {
	case v1alpha1.ActionHTTP:
		return "none: HTTP actions have no automatic rollback (revert skips it)"
	case v1alpha1.ActionJob:
		return "automatic: delete the Job (and its Pods)"
	case v1alpha1.ActionKubernetesResource:
		switch op(string(a.Resource.Operation)) {
		case "Create":
			return "automatic: delete the created object"
		case "Apply":
			return "automatic: delete the object if the apply created it; skipped if it existed before"
		default:
			return "none: revert skips it"
		}
	case v1alpha1.ActionLocalization, v1alpha1.ActionSubscription, v1alpha1.ActionGlobalization, v1alpha1.ActionHelmChart:
		var o string
		switch {
		case a.Localization != nil:
			o = string(a.Localization.Operation)
		case a.Subscription != nil:
			o = string(a.Subscription.Operation)
		case a.Globalization != nil:
			o = string(a.Globalization.Operation)
		case a.HelmChart != nil:
			o = string(a.HelmChart.Operation)
		}
		if op(o) == "Create" {
			return fmt.Sprintf("automatic: delete the %s", a.Type)
		}
		return "none: revert skips it"
	}
	return "none"
}
