package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/internal/lease"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/when"
)

// RevertOptions says which execution to undo.
type RevertOptions struct {
	Namespace string
	// Target is the Execute execution to revert.
	Target string
	// Name of the new Revert execution; empty generates one.
	Name        string
	LockTimeout time.Duration
	// OnStart is called once the Revert execution exists, before the first rollback.
	OnStart func(*v1alpha1.DRPlanExecution)
	// Labels are put on the new execution besides drctl's own (drctl drill links its executions).
	Labels map[string]string
	// OnFailure Ask waits for an operator's decision on a rollback that failed for good
	// (spec.onFailure; a revert does not read the plan's).
	OnFailure v1alpha1.OnFailurePolicy
}

// Revert undoes what an Execute execution actually did, in reverse: stages backwards along the
// recorded stage dependencies (independent stages, and a parallel stage's workflows, concurrently),
// workflows and actions in reverse order, only actions that Succeeded. Each gets its custom
// rollback, else the automatic one from the recorded outputs, else it is Skipped with the reason.
// The Revert execution records every rollback as an action.
func (e *Engine) Revert(ctx context.Context, opts RevertOptions) (*Result, error) {
	res, err := e.revert(ctx, opts)
	return res, classify(err)
}

func (e *Engine) revert(ctx context.Context, opts RevertOptions) (*Result, error) {
	target, plan, err := e.loadRevert(ctx, opts.Namespace, opts.Target)
	if err != nil {
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = generateName(target.Name+"-revert", e.cfg.Now())
	}
	exec := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: target.Namespace},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: target.Spec.PlanRef, OperationType: v1alpha1.OperationRevert,
			RevertExecutionRef: target.Name, OnFailure: opts.OnFailure},
	}
	e.stamp(exec, plan.Name)
	addLabels(exec, opts.Labels)
	exec.Annotations[AnnotationCreatedBy] = "drctl revert"
	p, err := e.prepareRevert(ctx, exec, target, plan)
	if err != nil {
		return nil, err
	}
	return e.start(ctx, p, launch{lockTimeout: opts.LockTimeout, onStart: opts.OnStart})
}

// loadRevert reads the execution a revert undoes, with an Unknown run's last transitions, and
// its plan; it refuses a target that cannot be reverted.
func (e *Engine) loadRevert(ctx context.Context, namespace, name string) (target *v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan, err error) {
	target, err = ReadExecution(ctx, e.cfg.Client, namespace, name)
	if err != nil {
		return nil, nil, notFoundIsInvalid(err, "DRPlanExecution %s/%s", namespace, name)
	}
	if err := Revertable(target); err != nil {
		return nil, nil, err
	}
	plan = &v1alpha1.DRPlan{}
	if err := e.cfg.Client.Get(ctx, objectKey(target.Namespace, target.Spec.PlanRef), plan); err != nil {
		return nil, nil, notFoundIsInvalid(err, "DRPlan %s/%s of execution %s", target.Namespace, target.Spec.PlanRef, target.Name)
	}
	return target, plan, nil
}

// prepareRevert lays out the status of exec, a Revert of target, and its program: every rollback
// rendered once. What must happen under the plan's lock first (ending an Unknown target) is the
// preparedRun's holding.
func (e *Engine) prepareRevert(ctx context.Context, exec, target *v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan) (*preparedRun, error) {
	runner := e.runnerInfo()
	initRevertStatus(exec, target, &runner, metav1.NewTime(e.cfg.Now()))
	restored, err := e.restoreSensitive(ctx, target)
	if err != nil {
		return nil, err
	}
	prog, err := e.revertProgram(exec, restored)
	if err != nil {
		return nil, err
	}
	prog.buildRedactor(e.cfg.SensitiveHeaders)
	if err := e.preflight(prog); err != nil {
		return nil, err
	}
	if err := checkRecordFits(exec); err != nil {
		return nil, err
	}
	p := &preparedRun{plan: plan, exec: exec, prog: prog, revert: true}
	if target.Status.Phase == v1alpha1.PhaseUnknown {
		p.holding = func(ctx context.Context, l *lease.Lease) error { return e.endUnknownTarget(ctx, l, target, exec.Name) }
	}
	return p, nil
}

// endUnknownTarget ends the Unknown run a revert undoes, under the plan's lock: Canceled, with
// what was running Canceled ("may or may not have completed"), so that it can no longer be
// resumed on top of the revert. If it changed since the revert was planned (resumed meanwhile),
// the revert is refused: it was planned from an outdated record.
func (e *Engine) endUnknownTarget(ctx context.Context, l *lease.Lease, planned *v1alpha1.DRPlanExecution, revert string) error {
	target := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(planned.Namespace, planned.Name), target); err != nil {
		return err
	}
	journal, err := e.claim(ctx, l, target, func(latest *v1alpha1.DRPlanExecution) error {
		if latest.Status.Phase != v1alpha1.PhaseUnknown || latest.Generation != planned.Generation ||
			!equality.Semantic.DeepEqual(latest.Status.StageStatuses, planned.Status.StageStatuses) {
			return invalidf("%s changed while the revert waited for the plan (it is %s now); run the revert again", planned.Name, orPending(latest.Status.Phase))
		}
		markAbandoned(latest, metav1.NewTime(e.cfg.Now()), fmt.Sprintf("ended Unknown; reverted by %s", revert))
		return nil
	})
	if err != nil {
		return err
	}
	if journal != nil {
		if err := journal.delete(ctx); err != nil { // the record holds everything
			e.cfg.Logger.Warn("delete the execution's journal", "journal", journalName(target.Name), "err", err)
		}
	}
	return nil
}

// Revertable says why target cannot be reverted, or nil: only an Execute that has ended can be.
func Revertable(target *v1alpha1.DRPlanExecution) error {
	if target.Spec.OperationType != v1alpha1.OperationExecute {
		return invalidf("%s is a %s execution; only an Execute can be reverted", target.Name, target.Spec.OperationType)
	}
	switch v1alpha1.NormalizePhase(target.Status.Phase) {
	case v1alpha1.PhaseSucceeded, v1alpha1.PhaseFailed, v1alpha1.PhaseCanceled, v1alpha1.PhaseUnknown:
		return nil // Unknown: its runner was cut off; what it recorded Succeeded is undone
	}
	return invalidf("%s is %s; only an execution that has ended (Succeeded, Failed, Canceled or Unknown) can be reverted", target.Name, orPending(target.Status.Phase))
}

// PlanRevert lays out the Revert of target as Revert would run it: its stages, workflows and
// actions (rollback hooks included) in undo order, each stage with the stages it waits for. It
// reads and writes nothing: it is what a caller shows before asking to go on. A target Revert
// would refuse is refused the same way.
func PlanRevert(target *v1alpha1.DRPlanExecution) (*v1alpha1.DRPlanExecution, error) {
	if err := Revertable(target); err != nil {
		return nil, err
	}
	planned := &v1alpha1.DRPlanExecution{
		ObjectMeta: metav1.ObjectMeta{Namespace: target.Namespace},
		Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: target.Spec.PlanRef, OperationType: v1alpha1.OperationRevert,
			RevertExecutionRef: target.Name},
	}
	initRevertStatus(planned, target, nil, metav1.Time{})
	return planned, nil
}

// revertOrder returns the indices of target's stages that did something, in undo order, and for
// each of them the names of the reverted stages whose undo must finish before its own starts.
//
// Revert follows the recorded dependency graph backwards, never timestamps: a stage is undone
// after every reverted stage that depended on it, directly or through stages with nothing to
// undo (absent from the revert), since their effects may rest on its own. Stages with no such
// relation ran independently and are undone concurrently. The order is the reverse of the forward
// stages' topological order (ties by declaration), so each stage comes after those it waits for.
func revertOrder(target *v1alpha1.DRPlanExecution) (order []int, waitFor map[int][]string) {
	stages := target.Status.StageStatuses
	index := map[string]int{}
	for i, ss := range stages {
		index[ss.Name] = i
	}
	// dependents[s] lists the stages that depend on stage s directly.
	dependents := make([][]int, len(stages))
	for t, ss := range stages {
		for _, dep := range ss.DependsOn {
			if s, ok := index[dep]; ok && s != t {
				dependents[s] = append(dependents[s], t)
			}
		}
	}
	reverted := make([]bool, len(stages))
	for i := range stages {
		reverted[i] = len(revertedWorkflows(&stages[i])) > 0
	}

	waitFor = map[int][]string{}
	forward := stageTopoOrder(len(stages), dependents)
	for k := len(forward) - 1; k >= 0; k-- {
		s := forward[k]
		if !reverted[s] {
			continue
		}
		order = append(order, s)
		for _, t := range revertedDependents(s, dependents, reverted) {
			waitFor[s] = append(waitFor[s], stages[t].Name)
		}
	}
	return order, waitFor
}

// stageTopoOrder returns the stage indices in a topological order of the forward run (a stage
// after every stage it depends on), ties in declaration order. Validation rejects cycles; should a
// record hold one anyway, the stages on it follow in declaration order.
func stageTopoOrder(n int, dependents [][]int) []int {
	waiting := make([]int, n) // how many dependencies of each stage are not placed yet
	for _, ts := range dependents {
		for _, t := range ts {
			waiting[t]++
		}
	}
	placed := make([]bool, n)
	order := make([]int, 0, n)
	for len(order) < n {
		next := -1
		for i := range n {
			if !placed[i] && waiting[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 { // a cycle
			for i := range n {
				if !placed[i] {
					placed[i] = true
					order = append(order, i)
				}
			}
			break
		}
		placed[next] = true
		order = append(order, next)
		for _, t := range dependents[next] {
			waiting[t]--
		}
	}
	return order
}

// revertedDependents returns, in declaration order, the reverted stages that depended on stage s
// directly or through stages that are not reverted.
func revertedDependents(s int, dependents [][]int, reverted []bool) []int {
	seen := make([]bool, len(reverted))
	var found []int
	var walk func(i int)
	walk = func(i int) {
		for _, t := range dependents[i] {
			if seen[t] {
				continue
			}
			seen[t] = true
			if reverted[t] {
				found = append(found, t) // its own revert waits for those beyond it
				continue
			}
			walk(t) // nothing to undo there: look through it
		}
	}
	walk(s)
	slices.Sort(found)
	return found
}

// initRevertStatus lays out a Revert execution: one stage per reverted stage, one workflow per
// workflow with succeeded actions, one action per succeeded action, all in undo order. Each
// stage's dependsOn is the reverse of the forward dependencies (revertOrder).
func initRevertStatus(exec, target *v1alpha1.DRPlanExecution, runner *v1alpha1.RunnerInfo, now metav1.Time) {
	if unpacked, err := UnpackedStatus(target); err == nil {
		target = unpacked // hooks are known from the workflows as run (revertProgram needs them too)
	}
	st := &exec.Status
	st.Phase, st.StartTime, st.Runner = v1alpha1.PhaseRunning, &now, runner
	st.ResolvedParams = target.Status.ResolvedParams
	st.OnFailure = exec.Spec.OnFailure
	order, waitFor := revertOrder(target)
	for _, i := range order {
		src := target.Status.StageStatuses[i]
		ss := v1alpha1.StageStatus{Name: src.Name, Phase: v1alpha1.PhasePending, Parallel: src.Parallel,
			FailurePolicy: src.FailurePolicy, DependsOn: waitFor[i]}
		for _, j := range revertedWorkflows(&src) {
			w := src.WorkflowExecutions[j]
			we := v1alpha1.WorkflowExecutionStatus{WorkflowRef: w.WorkflowRef, Phase: v1alpha1.PhasePending,
				ResolvedParams: w.ResolvedParams, SensitiveParams: w.SensitiveParams, WorkflowGeneration: w.WorkflowGeneration}
			pre, post := rollbackHooks(w.WorkflowSpec)
			names := pre
			for _, k := range revertedActions(&w) {
				names = append(names, w.ActionStatuses[k].Name)
			}
			for _, name := range append(names, post...) {
				we.ActionStatuses = append(we.ActionStatuses, v1alpha1.ActionStatus{Name: name, Phase: v1alpha1.PhasePending})
			}
			ss.WorkflowExecutions = append(ss.WorkflowExecutions, we)
		}
		st.StageStatuses = append(st.StageStatuses, ss)
	}
	refreshSummary(st)
}

// revertProgram derives a Revert run's program from the status laid out by initRevertStatus and
// the target's record: each step is the forward action's rollback, rendered with the forward
// run's parameters, names and outputs.
func (e *Engine) revertProgram(exec, target *v1alpha1.DRPlanExecution) (*program, error) {
	target, err := UnpackedStatus(target)
	if err != nil {
		return nil, fmt.Errorf("the record of the reverted execution: %w", err)
	}
	p := &program{mode: target.Spec.Mode, operation: v1alpha1.OperationRevert}
	for _, ss := range exec.Status.StageStatuses {
		src := findStage(target, ss.Name)
		if src == nil {
			return nil, fmt.Errorf("stage %s is not in %s", ss.Name, target.Name)
		}
		// A revert stage fails and halts as its forward stage's recorded policy says.
		sp := &stageProgram{name: ss.Name, dependsOn: ss.DependsOn, parallel: ss.Parallel}
		sp.failFastWithin, sp.stopOnFailure = stagePolicy(ss.FailurePolicy)
		sources := revertedWorkflows(src)
		if len(sources) != len(ss.WorkflowExecutions) {
			return nil, fmt.Errorf("stage %s of %s does not match the revert's record", ss.Name, target.Name)
		}
		for j, we := range ss.WorkflowExecutions {
			fw := &src.WorkflowExecutions[sources[j]]
			if fw.WorkflowRef != we.WorkflowRef || fw.WorkflowSpec == nil {
				return nil, fmt.Errorf("stage %s: workflow %s has no snapshot in %s", ss.Name, we.WorkflowRef.Name, target.Name)
			}
			outputs := map[string]map[string]string{}
			recorded := map[string]*v1alpha1.ActionOutputs{}
			for _, as := range fw.ActionStatuses {
				addOutputs(outputs, as.Name, as.Outputs)
				recorded[as.Name] = as.Outputs
			}
			wp := &workflowProgram{
				failFast: fw.WorkflowSpec.FailurePolicy != v1alpha1.WorkflowContinue,
				// Rollbacks render as their forward actions did: same parameters, same names.
				vars: Vars{Params: fw.ResolvedParams, PlanName: target.Spec.PlanRef, PlanNamespace: target.Namespace,
					ExecutionName: target.Name, Outputs: outputs},
				sensitive: fw.SensitiveParams,
			}
			if err := unrestored(wp.vars.Params, ss.Name, we.WorkflowRef.Name); err != nil {
				return nil, err
			}
			for _, as := range we.ActionStatuses {
				forward := findAction(fw.WorkflowSpec, as.Name)
				if forward == nil {
					return nil, fmt.Errorf("action %s is not in the snapshot of %s", as.Name, we.WorkflowRef.Name)
				}
				pre, post := isRollbackHook(forward)
				switch {
				case pre || post:
					wp.steps = append(wp.steps, &step{name: as.Name, action: forward.DeepCopy()}) // runs as written
				case target.Spec.Mode == v1alpha1.ModeDelete && deletedByMode(forward, when.Vars{Mode: string(v1alpha1.ModeDelete), Operation: string(v1alpha1.OperationExecute), Params: fw.ResolvedParams}):
					wp.steps = append(wp.steps, &step{name: as.Name, skip: "no rollback: Delete mode deleted what this action creates; run the plan in Install mode to create it again"})
				default:
					wp.steps = append(wp.steps, e.rollbackStep(forward, recorded[as.Name]))
				}
			}
			sp.workflows = append(sp.workflows, wp)
		}
		p.stages = append(p.stages, sp)
	}
	p.nameObjects(exec.Name)
	return p, nil
}

// rollbackStep is the custom rollback of forward, else its automatic one, else a skip.
func (e *Engine) rollbackStep(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) *step {
	s := &step{name: forward.Name}
	if forward.Rollback != nil {
		rb := forward.Rollback.DeepCopy()
		rb.Name = forward.Name
		s.action = rb
		return s
	}
	auto, reason := e.cfg.Actions.AutoRollback(forward, outputs)
	if auto == nil {
		s.skip = "no rollback: " + reason
		return s
	}
	auto.Name = forward.Name
	s.action = auto
	return s
}

func findStage(exec *v1alpha1.DRPlanExecution, name string) *v1alpha1.StageStatus {
	for i := range exec.Status.StageStatuses {
		if exec.Status.StageStatuses[i].Name == name {
			return &exec.Status.StageStatuses[i]
		}
	}
	return nil
}

// revertedWorkflows returns the indices of a stage's workflows that have succeeded actions, in
// undo order (reverse).
func revertedWorkflows(ss *v1alpha1.StageStatus) []int {
	var idx []int
	for j := len(ss.WorkflowExecutions) - 1; j >= 0; j-- {
		if len(revertedActions(&ss.WorkflowExecutions[j])) > 0 {
			idx = append(idx, j)
		}
	}
	return idx
}

// revertedActions returns the indices of a workflow's succeeded actions in undo order (reverse).
func revertedActions(w *v1alpha1.WorkflowExecutionStatus) []int {
	var idx []int
	for k := len(w.ActionStatuses) - 1; k >= 0; k-- {
		if w.ActionStatuses[k].Phase != v1alpha1.PhaseSucceeded {
			continue
		}
		if w.WorkflowSpec != nil {
			if a := findAction(w.WorkflowSpec, w.ActionStatuses[k].Name); a != nil && a.HookType != "" {
				continue // a hook is never undone
			}
		}
		idx = append(idx, k)
	}
	return idx
}

// rollbackHooks are the names of a workflow's pre-rollback and post-rollback hook actions, in
// the order it lists them.
func rollbackHooks(spec *v1alpha1.DRWorkflowSpec) (pre, post []string) {
	if spec == nil {
		return nil, nil
	}
	for _, a := range spec.Actions {
		switch isPre, isPost := isRollbackHook(&a); {
		case isPre:
			pre = append(pre, a.Name)
		case isPost:
			post = append(post, a.Name)
		}
	}
	return pre, post
}

func findAction(spec *v1alpha1.DRWorkflowSpec, name string) *v1alpha1.Action {
	for i := range spec.Actions {
		if spec.Actions[i].Name == name {
			return &spec.Actions[i]
		}
	}
	return nil
}

// loadRevertTarget reads the execution a Revert undoes (for resume).
func (e *Engine) loadRevertTarget(ctx context.Context, exec *v1alpha1.DRPlanExecution) (*v1alpha1.DRPlanExecution, error) {
	target := &v1alpha1.DRPlanExecution{}
	if err := e.cfg.Client.Get(ctx, objectKey(exec.Namespace, exec.Spec.RevertExecutionRef), target); err != nil {
		return nil, fmt.Errorf("get reverted execution %s: %w", exec.Spec.RevertExecutionRef, err)
	}
	return target, nil
}
