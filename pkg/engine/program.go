package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/actions"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
	"github.com/drctl/drctl/pkg/validate"
)

// program is what a run does, derived from the execution's status snapshot alone, so that a
// resume does exactly what the interrupted run would have done. Its stages, workflows and steps
// are parallel to the status tree (the same indices).
type program struct {
	stages []*stageProgram
	// mode and operation are what actions' conditions read: an Execute's own mode, and for a
	// Revert the mode of the execution it undoes (its rollbacks undo that run's branches).
	mode      v1alpha1.ExecutionMode
	operation v1alpha1.OperationType
	// redact keeps the sensitive values of the program's workflows out of all it writes.
	redact *redactor
}

// buildRedactor sets the program's redactor: it removes the values of its workflows' sensitive
// parameters, and the values of credential headers (SensitiveHeader, or named in headers) its
// HTTP actions send, wherever they appear (a server may echo them in a response).
func (p *program) buildRedactor(headers []string) {
	var values []string
	for _, sp := range p.stages {
		for _, wp := range sp.workflows {
			for _, name := range wp.sensitive {
				if v, ok := wp.vars.Params[name]; ok && v != Redacted {
					values = append(values, v)
				}
			}
			for _, s := range wp.steps {
				values = append(values, credentialHeaderValues(s.action, wp.vars, headers)...)
			}
		}
	}
	p.redact = newRedactor(values)
	p.redact.headers = headers
}

// credentialHeaderValues are the values of the credential headers of an HTTP action and of its
// rollback, rendered with the workflow's parameters (a value that reads outputs is not known
// yet; its parameters' part is redacted if they are sensitive).
func credentialHeaderValues(a *v1alpha1.Action, vars Vars, headers []string) []string {
	var out []string
	for a != nil {
		if a.HTTP != nil {
			for name, value := range a.HTTP.Headers {
				if !actions.IsSensitiveHeader(name, headers) {
					continue
				}
				if v, err := template.Render(value, vars.lookup); err == nil {
					out = append(out, v)
					// "Bearer abc": the credential alone too, as a server may echo just that.
					if _, credential, ok := strings.Cut(v, " "); ok {
						out = append(out, credential)
					}
				}
			}
		}
		a = a.Rollback
	}
	return out
}

type stageProgram struct {
	name      string
	dependsOn []string
	parallel  bool
	// failFastWithin: after a workflow of this stage fails, no new workflow of this stage starts;
	// the running ones finish and the stage is Failed (failurePolicy Stop or FailFast, FR-023f).
	failFastWithin bool
	// stopOnFailure: after this stage fails, no new stage of the run starts (failurePolicy Stop,
	// or FailFast under a plan whose policy is Stop).
	stopOnFailure bool
	// approval, when set, holds the stage until an operator approves it (an Execute's only).
	approval  *v1alpha1.Approval
	workflows []*workflowProgram
}

// stagePolicy turns a stage's recorded failure policy (see effectiveStagePolicy) into what the
// scheduler does when the stage fails. It reads the record alone, so a resume behaves as the
// interrupted run did.
func stagePolicy(recorded string) (failFastWithin, stopOnFailure bool) {
	switch recorded {
	case v1alpha1.FailurePolicyContinue:
		return false, false
	case v1alpha1.FailurePolicyFailFast:
		// Recorded only under a plan whose policy is Continue: later stages still run.
		return true, false
	}
	return true, true // Stop, and the default of a record without a policy
}

type workflowProgram struct {
	failFast bool
	vars     Vars
	// sensitive names the parameters whose values are never written out.
	sensitive []string
	steps     []*step
	// dag: some action names dependsOn, so the workflow is a graph: an action starts as soon as
	// the actions it depends on have ended, and actions with nothing between them run at once.
	// Otherwise its actions run one after another, in order.
	dag bool
}

// step is one action to run: a workflow's action, or a rollback in a revert.
type step struct {
	name string
	// action is the action before rendering (rendered when it starts, with the outputs so far).
	action *v1alpha1.Action
	// skip, when set, says why the step has nothing to do: it is recorded Skipped.
	skip string
	// objectName is the name of an object the step creates without naming it (a Job).
	objectName string
	// keepBody: a template of the workflow reads this step's response body, so the record keeps it
	// in full rather than as an excerpt.
	keepBody bool
	// dependsOn are the steps of the workflow this one waits for (a dag workflow's).
	dependsOn []int
	// inferred: Delete mode turned the action into the delete of what it creates.
	inferred bool
}

// nameObjects gives every step its deterministic object name: <execution>-<action>, or, where the
// action's name repeats in the execution (a workflow run twice in one stage),
// <execution>-<stage>-<workflow>-<index>-<action>. objectName shortens with a hash past 63.
func (p *program) nameObjects(execution string) {
	count := map[string]int{}
	for _, sp := range p.stages {
		for _, wp := range sp.workflows {
			for _, s := range wp.steps {
				count[s.name]++
			}
		}
	}
	for _, sp := range p.stages {
		for j, wp := range sp.workflows {
			for _, s := range wp.steps {
				if count[s.name] == 1 {
					s.objectName = objectName(execution, s.name)
				} else {
					s.objectName = objectName(execution, sp.name, fmt.Sprint(j), s.name)
				}
			}
		}
	}
}

// initExecuteStatus fills a new Execute execution's status: the resolved parameters and the spec
// of every workflow (the snapshot), and every stage, workflow and action Pending.
func initExecuteStatus(ctx context.Context, exec *v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan,
	workflows map[string]*v1alpha1.DRWorkflow, valueFrom ValueFromResolver, runner *v1alpha1.RunnerInfo, now metav1.Time) error {
	planParams, err := ResolvePlanParams(ctx, plan, exec, valueFrom)
	if err != nil {
		return err
	}
	st := &exec.Status
	st.Phase = v1alpha1.PhaseRunning
	st.StartTime = &now
	st.Runner = runner
	st.ResolvedParams = planParams
	st.OnFailure = orPolicy(exec.Spec.OnFailure, plan.Spec.OnFailure)
	st.StageStatuses = nil
	// The record keeps what each stage waits for, implied ones too (the stage before it), so that
	// resume and revert follow the order this run used.
	after := validate.StageDependencies(plan.Spec.Stages)
	deleting := exec.Spec.Mode == v1alpha1.ModeDelete
	if deleting {
		after = reversedDependencies(plan.Spec.Stages, after)
	}
	for i, stage := range plan.Spec.Stages {
		ss := v1alpha1.StageStatus{
			Name: stage.Name, Phase: v1alpha1.PhasePending, Parallel: stage.Parallel,
			DependsOn: after[i], FailurePolicy: effectiveStagePolicy(plan, stage),
			Approval: stage.Approval.DeepCopy(),
		}
		refs := stage.Workflows
		if deleting { // a sequential stage takes its workflows down last first
			refs = slices.Clone(refs)
			slices.Reverse(refs)
		}
		for _, ref := range refs {
			key := workflowKey(validate.WorkflowNamespace(plan, ref.WorkflowRef), ref.WorkflowRef.Name)
			wf, ok := workflows[key]
			if !ok {
				return fmt.Errorf("workflow %s not loaded", key)
			}
			params, err := ResolveWorkflowParams(ctx, &wf.Spec, plan, ref, exec, valueFrom)
			if err != nil {
				return err
			}
			we := v1alpha1.WorkflowExecutionStatus{
				WorkflowRef:        v1alpha1.ObjectReference{Name: wf.Name, Namespace: wf.Namespace},
				Phase:              v1alpha1.PhasePending,
				ResolvedParams:     params,
				SensitiveParams:    sensitiveParams(wf.Spec.Parameters, plan.Spec.GlobalParams, ref.Params, exec.Spec.Params),
				WorkflowSpec:       wf.Spec.DeepCopy(),
				WorkflowGeneration: wf.Generation,
			}
			order := actionOrder(wf.Spec.Actions)
			if deleting {
				order = deleteOrder(wf.Spec.Actions, order)
			}
			for _, i := range order {
				we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: wf.Spec.Actions[i].Name, Phase: v1alpha1.PhasePending})
			}
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, we)
		}
		st.StageStatuses = append(st.StageStatuses, ss)
	}
	refreshSummary(st)
	return nil
}

// orPolicy is the run's own onFailure, else the plan's.
func orPolicy(run, plan v1alpha1.OnFailurePolicy) v1alpha1.OnFailurePolicy {
	if run != "" {
		return run
	}
	return plan
}

// effectiveStagePolicy is the failure policy recorded for a stage, which is all a resume reads
// (stagePolicy). A stage's policy says what happens inside it and, except FailFast, across
// stages; the plan's says what happens across stages:
//
//	Stop      no new workflow of the stage after a failure; no new stage after the stage fails
//	Continue  every workflow of the stage runs; later stages run
//	FailFast  no new workflow of the stage after a failure; later stages as the plan's policy says
//
// FailFast under a plan policy of Stop is exactly Stop, so it is recorded as Stop; "FailFast" is
// recorded only under a plan policy of Continue. No policy on the stage means the plan's.
func effectiveStagePolicy(plan *v1alpha1.DRPlan, stage v1alpha1.Stage) string {
	planPolicy := v1alpha1.FailurePolicyStop
	if plan.Spec.FailurePolicy == v1alpha1.FailurePolicyContinue {
		planPolicy = v1alpha1.FailurePolicyContinue
	}
	switch stage.FailurePolicy {
	case v1alpha1.FailurePolicyStop, v1alpha1.FailurePolicyContinue:
		return string(stage.FailurePolicy)
	case v1alpha1.FailurePolicyFailFast:
		if planPolicy == v1alpha1.FailurePolicyStop {
			return v1alpha1.FailurePolicyStop
		}
		return v1alpha1.FailurePolicyFailFast
	}
	return planPolicy
}

// executeProgram derives an Execute run's program from its status snapshot.
func executeProgram(exec *v1alpha1.DRPlanExecution, planNamespace string) (*program, error) {
	exec, err := UnpackedStatus(exec)
	if err != nil {
		return nil, err
	}
	p := &program{mode: exec.Spec.Mode, operation: v1alpha1.OperationExecute}
	for _, ss := range exec.Status.StageStatuses {
		sp := &stageProgram{name: ss.Name, dependsOn: ss.DependsOn, parallel: ss.Parallel, approval: ss.Approval}
		sp.failFastWithin, sp.stopOnFailure = stagePolicy(ss.FailurePolicy)
		for _, we := range ss.WorkflowExecutions {
			if we.WorkflowSpec == nil {
				return nil, fmt.Errorf("stage %s: workflow %s has no spec snapshot", ss.Name, we.WorkflowRef.Name)
			}
			spec := we.WorkflowSpec
			wp := &workflowProgram{
				failFast:  spec.FailurePolicy != v1alpha1.WorkflowContinue,
				vars:      Vars{Params: we.ResolvedParams, PlanName: exec.Spec.PlanRef, PlanNamespace: planNamespace, ExecutionName: exec.Name},
				sensitive: we.SensitiveParams,
			}
			if err := unrestored(wp.vars.Params, ss.Name, we.WorkflowRef.Name); err != nil {
				return nil, err
			}
			byName := map[string]*v1alpha1.Action{}
			for i := range spec.Actions {
				byName[spec.Actions[i].Name] = &spec.Actions[i]
			}
			read := outputsRead(spec)
			for _, as := range we.ActionStatuses {
				a, ok := byName[as.Name]
				if !ok {
					return nil, fmt.Errorf("stage %s, workflow %s: action %s is not in the snapshot", ss.Name, we.WorkflowRef.Name, as.Name)
				}
				wp.steps = append(wp.steps, &step{name: as.Name, action: a, keepBody: read[as.Name]["body"]})
			}
			if p.mode == v1alpha1.ModeDelete {
				p.inferDeletes(wp) // one after another, in reverse
			} else {
				wp.linkDependencies()
			}
			for _, s := range wp.steps {
				if s.skip == "" && !s.inferred {
					s.skip = hookSkip(s.action, p.mode)
				}
			}
			sp.workflows = append(sp.workflows, wp)
		}
		p.stages = append(p.stages, sp)
	}
	p.nameObjects(exec.Name)
	return p, nil
}

// unrestored refuses to derive a program from a record that holds a sensitive value as
// REDACTED without saying which values are sensitive: rendering with "REDACTED" would send it.
// That happens when the record was written through CRDs older than drctl's sensitive
// parameters, which drop status.sensitiveParams.
func unrestored(params map[string]string, stage, workflow string) error {
	for name, v := range params {
		if v == Redacted {
			return fmt.Errorf("stage %s, workflow %s: parameter %q is recorded as %s and cannot be read again, as the record does not list it "+
				"in sensitiveParams (were the CRDs installed by an older drctl? run `drctl install`)", stage, workflow, name, Redacted)
		}
	}
	return nil
}

// linkDependencies makes the workflow a graph when an action names dependsOn (validation has
// rejected unknown names and cycles).
func (wp *workflowProgram) linkDependencies() {
	index := map[string]int{}
	for k, s := range wp.steps {
		index[s.name] = k
		if len(s.action.DependsOn) > 0 {
			wp.dag = true
		}
	}
	for _, s := range wp.steps {
		for _, dep := range s.action.DependsOn {
			if k, ok := index[dep]; ok {
				s.dependsOn = append(s.dependsOn, k)
			}
		}
	}
}

// actionOrder returns the indices of actions in run order: declaration order, except that an
// action comes after every action it dependsOn (validation rejects cycles).
func actionOrder(actions []v1alpha1.Action) []int {
	index := map[string]int{}
	for i, a := range actions {
		index[a.Name] = i
	}
	var order []int
	placed := make([]bool, len(actions))
	var place func(i int, depth int)
	place = func(i, depth int) {
		if placed[i] || depth > len(actions) {
			return
		}
		for _, dep := range actions[i].DependsOn {
			if j, ok := index[dep]; ok && j != i {
				place(j, depth+1)
			}
		}
		if !placed[i] {
			placed[i] = true
			order = append(order, i)
		}
	}
	for i := range actions {
		place(i, 0)
	}
	return order
}

func workflowKey(namespace, name string) string { return namespace + "/" + name }

// stageIndex returns the index of the stage called name.
func (p *program) stageIndex(name string) int {
	return slices.IndexFunc(p.stages, func(s *stageProgram) bool { return s.name == name })
}
