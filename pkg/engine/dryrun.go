package engine

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
	"github.com/drctl/drctl/pkg/when"
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
	// StageAfter are the stages the action's stage waits for (none: it starts the run).
	StageAfter []string
	// StageApproval is the approval the action's stage waits for before it starts (nil: none).
	StageApproval *v1alpha1.Approval
	// AskOnFailure: the run would wait for an operator's decision if the action failed.
	AskOnFailure bool
	// Condition says whether the action runs: skipped and why (its `when`, its hook type, Delete
	// mode), turned into a delete by Delete mode, what its `when` decides ("runs: ..."), or that
	// this is decided when its turn comes (it reads outputs); "" for an action that simply runs.
	Condition string
	// Reach lists what the action reaches beyond the plan's namespace or its own rights (see
	// validate.ActionReach), and on a workflow's first action, the Secrets its parameters read.
	Reach []string
}

// DryRun resolves the parameters and renders every action of a plan in execution order, with the
// rollback each would get, validating as Execute does and creating nothing. Sensitive values show
// as REDACTED.
func (e *Engine) DryRun(ctx context.Context, opts ExecuteOptions) ([]PlannedAction, error) {
	p, err := e.prepareExecute(ctx, opts)
	if err != nil {
		return nil, classify(err)
	}
	prog, exec := p.prog, p.exec
	ns := planNamespace(p.plan)
	var out []PlannedAction
	for _, i := range prog.runOrder() {
		sp := prog.stages[i]
		labels := WorkflowLabels(&exec.Status.StageStatuses[i]) // service-failover(service=payment)
		for j, wp := range sp.workflows {
			vars := wp.vars
			vars.Outputs = outputPlaceholders(wp)
			secretReads := paramSecretReads(p.loaded, exec, exec.Status.StageStatuses[i].WorkflowExecutions[j].WorkflowRef)
			for k, s := range wp.steps {
				rendered, err := RenderAction(s.action, vars)
				if err != nil {
					return nil, &InvalidError{What: prog.redact.String(err.Error())}
				}
				rendered = prog.redact.Action(rendered) // a dry run's output goes to CI logs
				pa := PlannedAction{Stage: sp.name, Workflow: labels[j], Action: rendered, Rollback: rendered.Rollback,
					Condition: prog.plannedStep(s, wp.vars.Params), StageAfter: sp.dependsOn, StageApproval: sp.approval,
					AskOnFailure: exec.Status.OnFailure == v1alpha1.OnFailureAsk}
				if k == 0 {
					pa.Reach = append(pa.Reach, secretReads...)
				}
				pa.Reach = append(pa.Reach, actionReach(s.action, rendered, ns)...)
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

// actionReach is what a dry run says an action reaches: judged on the rendered action, whose
// namespaces are known, except for credentials in its URL, which are judged as written (a value
// from a sensitive parameter is not a credential written into the plan).
func actionReach(written, rendered *v1alpha1.Action, namespace string) []string {
	var out []string
	root := field.NewPath("action")
	url := root.Child("http", "url").String()
	for _, r := range validate.ActionReach(root, rendered, namespace) {
		if r.Field != url {
			out = append(out, r.What)
		}
	}
	for _, r := range validate.ActionReach(root, written, namespace) {
		if r.Field == url {
			out = append(out, r.What)
		}
	}
	return out
}

// paramSecretReads lists the Secrets the parameters of workflow wf read in this run: its
// declarations, the plan's globalParams and stage params for it, the execution's params.
func paramSecretReads(l *loaded, exec *v1alpha1.DRPlanExecution, wf v1alpha1.ObjectReference) []string {
	if l == nil {
		return nil
	}
	var layers [][]v1alpha1.Parameter
	if w := l.workflows[workflowKey(wf.Namespace, wf.Name)]; w != nil {
		layers = append(layers, w.Spec.Parameters)
	}
	layers = append(layers, l.plan.Spec.GlobalParams, exec.Spec.Params)
	for _, st := range l.plan.Spec.Stages {
		for _, ref := range st.Workflows {
			if ref.WorkflowRef.Name == wf.Name && validate.WorkflowNamespace(l.plan, ref.WorkflowRef) == wf.Namespace {
				layers = append(layers, ref.Params)
			}
		}
	}
	var out []string
	for _, layer := range layers {
		for _, p := range layer {
			if msg := validate.ParamReach(p); msg != "" && !slices.Contains(out, msg) {
				out = append(out, msg)
			}
		}
	}
	return out
}

// runOrder lists the stages in an order they can run in: each after the stages it waits for,
// otherwise as recorded (in Delete mode, the reverse of the plan's).
func (p *program) runOrder() []int {
	var order []int
	placed := make([]bool, len(p.stages))
	for len(order) < len(p.stages) {
		progress := false
		for i, sp := range p.stages {
			if placed[i] {
				continue
			}
			ready := true
			for _, dep := range sp.dependsOn {
				if j := p.stageIndex(dep); j >= 0 && !placed[j] {
					ready = false
				}
			}
			if ready {
				placed[i], progress = true, true
				order = append(order, i)
			}
		}
		if !progress { // a cycle, which validation refuses: keep the recorded order
			for i := range p.stages {
				if !placed[i] {
					placed[i] = true
					order = append(order, i)
				}
			}
		}
	}
	return order
}

// plannedStep says what a dry run knows of whether a step runs: skipped and why, turned into a
// delete by Delete mode, or what its condition decides.
func (p *program) plannedStep(s *step, params map[string]string) string {
	switch {
	case s.skip != "":
		return s.skip
	case s.inferred:
		return inferredNote(s)
	}
	return p.plannedCondition(s.action.When, params)
}

// plannedCondition is what a dry run knows of a condition (preflight has checked it evaluates).
func (p *program) plannedCondition(expr string, params map[string]string) string {
	if expr == "" {
		return ""
	}
	c, err := when.Compile(expr)
	if err != nil {
		return err.Error()
	}
	ok, decided, err := c.Eval(p.whenVars(params, nil))
	switch {
	case err != nil:
		return err.Error()
	case !decided:
		return fmt.Sprintf("when %q: decided when the action's turn comes (it reads outputs)", expr)
	case !ok:
		return fmt.Sprintf("skipped: when %q is false", expr)
	}
	return fmt.Sprintf("runs: when %q is true", expr)
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

// DescribeAutoRollback says what reverting an action without a custom rollback does; it is what
// revert does (actions.Type.AutoRollback follows the same rule).
func DescribeAutoRollback(a *v1alpha1.Action) string {
	t := actions.Lookup(a.Type)
	if t == nil || !t.Set(a) {
		return "none"
	}
	return t.RollbackOf(a).Describe()
}
