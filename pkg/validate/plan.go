package validate

import (
	"fmt"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"slices"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
)

// RefCheck configures how references to other objects are judged.
type RefCheck struct {
	// Resolver finds referenced objects; nil skips reference checks.
	Resolver Resolver
	// MissingSeverity is the severity of a reference that does not resolve (error by default;
	// warning with --allow-missing-refs).
	MissingSeverity Severity
}

func (rc RefCheck) missing(fs *Findings, field, format string, args ...any) {
	if rc.MissingSeverity == SeverityWarning {
		fs.Warnf(field, format, args...)
	} else {
		fs.Errorf(field, format, args...)
	}
}

// WorkflowNamespace is the namespace a plan's workflow reference points into: its own, or the plan's.
func WorkflowNamespace(plan *v1alpha1.DRPlan, ref v1alpha1.ObjectReference) string {
	if ref.Namespace != "" {
		return ref.Namespace
	}
	return plan.Namespace
}

// CheckPlan checks a DRPlan: parameters, stages and their dependency graph, and, for each
// workflow it references, that the workflow exists and gets every parameter it requires with
// values of the declared types.
func CheckPlan(plan *v1alpha1.DRPlan, refs RefCheck) Findings {
	return CheckPlanRun(plan, refs, nil)
}

// CheckPlanRun is CheckPlan for one run of the plan, whose execution supplies execParams on top
// of the plan's own (drctl execute -p).
func CheckPlanRun(plan *v1alpha1.DRPlan, refs RefCheck, execParams []v1alpha1.Parameter) Findings {
	var fs Findings
	spec := field.NewPath("spec")
	fs = append(fs, checkParams(spec.Child("globalParams"), plan.Spec.GlobalParams, supplies)...)
	if sa := plan.Spec.ServiceAccountName; sa != "" {
		for _, msg := range validation.IsDNS1123Subdomain(sa) {
			fs.Errorf(spec.Child("serviceAccountName").String(), "Invalid value %q: %s", sa, msg)
		}
	}

	stages := spec.Child("stages")
	stageNames := make([]string, len(plan.Spec.Stages))
	for i, st := range plan.Spec.Stages {
		stageNames[i] = st.Name
	}
	dups, _ := uniqueNames(stages, stageNames)
	fs = append(fs, dups...)
	nodes := make([]node, 0, len(plan.Spec.Stages))
	globalUsed := map[string]bool{}
	allResolved := refs.Resolver != nil
	workflows, actions := 0, 0 // what a run records
	snapshots := map[*v1alpha1.DRWorkflow]bool{}
	after := StageDependencies(plan.Spec.Stages)
	explicit := slices.ContainsFunc(plan.Spec.Stages, func(s v1alpha1.Stage) bool { return len(s.DependsOn) > 0 })
	supply := newSupplied(plan, execParams)
	for i, st := range plan.Spec.Stages {
		sp := stages.Index(i)
		nodes = append(nodes, node{name: st.Name, dependsOn: after[i]})
		if n := len(st.Workflows); n > MaxStageWorkflows {
			fs.Errorf(sp.Child("workflows").String(), "Too many: %d workflows: drctl runs at most %d per stage; split them over several stages", n, MaxStageWorkflows)
			continue
		}
		if st.Approval != nil && st.Approval.Timeout != "" {
			fs = append(fs, checkDuration(sp.Child("approval", "timeout"), st.Approval.Timeout)...)
		}
		if i > 0 && explicit && len(st.DependsOn) == 0 {
			fs.Warnf(sp.Child("name").String(), "stage %q names no dependsOn while other stages do, so it starts with the run, at the same time as %q; to run it after %q, add dependsOn: [%s]", st.Name, plan.Spec.Stages[0].Name, plan.Spec.Stages[i-1].Name, plan.Spec.Stages[i-1].Name)
		}
		for j, ref := range st.Workflows {
			rp := sp.Child("workflows").Index(j)
			fs = append(fs, checkParams(rp.Child("params"), ref.Params, supplies)...)
			if refs.Resolver == nil || ref.WorkflowRef.Name == "" {
				continue
			}
			ns := WorkflowNamespace(plan, ref.WorkflowRef)
			wf, ok := refs.Resolver.Workflow(ns, ref.WorkflowRef.Name)
			if !ok {
				allResolved = false
				refs.missing(&fs, rp.Child("workflowRef").String(), "Not found: DRWorkflow %s", qualified(ns, ref.WorkflowRef.Name))
				continue
			}
			fs = append(fs, supply.check(rp, ref, wf, globalUsed)...)
			workflows++
			actions += len(wf.Spec.Actions)
			snapshots[wf] = true
		}
	}
	fs = append(fs, checkDependencies(stages, "stage", nodes)...)
	if allResolved {
		specBytes := 0
		for wf := range snapshots {
			specBytes += compressedSpecSize(wf)
		}
		fs = append(fs, checkRecordSize(workflows, actions, specBytes)...)
		for i, p := range plan.Spec.GlobalParams {
			if !globalUsed[p.Name] {
				fs.Warnf(spec.Child("globalParams").Index(i).Child("name").String(), "parameter %q is neither declared nor used by any workflow of the plan; it has no effect", p.Name)
			}
		}
		for i, p := range execParams {
			if !globalUsed[p.Name] && p.Name != "mode" {
				fs.Warnf(ExecutionParamsField+fmt.Sprintf("[%d].name", i), "parameter %q is neither declared nor used by any workflow of plan %s; it has no effect (a typo?)", p.Name, plan.Name)
			}
		}
	}
	return fs
}

// MaxStageWorkflows is the most workflow references a stage may hold.
const MaxStageWorkflows = 1000

// suppliedParam is a value a plan or a run supplies, and where it is written.
type suppliedParam struct {
	param v1alpha1.Parameter
	path  *field.Path
}

// supplied knows what a plan supplies to its workflows: its globalParams and the run's own
// params, indexed once, and each workflow's used parameters, computed once however many stages
// reference it.
type supplied struct {
	global, exec map[string]suppliedParam
	used         map[*v1alpha1.DRWorkflow]map[string]bool
}

func newSupplied(plan *v1alpha1.DRPlan, execParams []v1alpha1.Parameter) *supplied {
	s := &supplied{global: map[string]suppliedParam{}, exec: map[string]suppliedParam{}, used: map[*v1alpha1.DRWorkflow]map[string]bool{}}
	for i, p := range plan.Spec.GlobalParams {
		s.global[p.Name] = suppliedParam{p, field.NewPath("spec", "globalParams").Index(i)}
	}
	for i, p := range execParams {
		s.exec[p.Name] = suppliedParam{p, field.NewPath(ExecutionParamsField).Index(i)}
	}
	return s
}

// check checks one workflow reference against its workflow: every required parameter supplied
// (by globalParams or the stage's params), supplied values of the declared type, and stage
// params the workflow does not know about (ignored, so a warning). It records in globalUsed the
// global parameters this workflow declares or uses.
func (s *supplied) check(rp *field.Path, ref v1alpha1.WorkflowReference, wf *v1alpha1.DRWorkflow, globalUsed map[string]bool) Findings {
	var fs Findings
	stage := map[string]suppliedParam{}
	for i, p := range ref.Params {
		stage[p.Name] = suppliedParam{p, rp.Child("params").Index(i)}
	}
	lookup := func(name string) (suppliedParam, bool) { // the run's params override the stage's, which override the plan's
		for _, layer := range []map[string]suppliedParam{s.exec, stage, s.global} {
			if v, ok := layer[name]; ok {
				return v, true
			}
		}
		return suppliedParam{}, false
	}
	used, seen := s.used[wf]
	if !seen {
		used = usedParams(wf)
		s.used[wf] = used
	}
	declared := map[string]bool{}
	for _, p := range wf.Spec.Parameters {
		declared[p.Name] = true
		if !seen {
			globalUsed[p.Name] = true
		}
		provided := false
		if sp, ok := lookup(p.Name); ok {
			value, known, given := suppliedValue(sp.param)
			provided = given
			if msg := TypeMismatch(p.Type, value); known && msg != "" {
				fs.Errorf(sp.path.Child(valueField(sp.param)).String(), "Invalid value %q for parameter %q of workflow %s: %s", value, p.Name, wf.Name, msg)
			}
		}
		if !provided && IsRequired(p) {
			fs.Errorf(rp.Child("workflowRef").String(), "Required value: workflow %s requires parameter %q; supply it in spec.globalParams or in this stage's params", wf.Name, p.Name)
		}
	}
	if !seen {
		for name := range used {
			globalUsed[name] = true
		}
	}
	for i, p := range ref.Params {
		if !declared[p.Name] && !used[p.Name] {
			fs.Warnf(rp.Child("params").Index(i).Child("name").String(), "parameter %q is not declared by workflow %s; it is ignored", p.Name, wf.Name)
		}
	}
	return fs
}

// valueField names the field a supplied parameter's value came from.
func valueField(p v1alpha1.Parameter) string {
	if p.Value == nil && p.Default != nil {
		return "default"
	}
	return "value"
}

// usedParams returns the names of the parameters a workflow's actions and rollbacks use.
func usedParams(wf *v1alpha1.DRWorkflow) map[string]bool {
	used := map[string]bool{}
	for i := range wf.Spec.Actions {
		uses, _ := placeholders(field.NewPath("spec", "actions").Index(i), &wf.Spec.Actions[i])
		for _, u := range uses {
			if u.Ref.Kind == template.Param {
				used[u.Ref.Name] = true
			}
		}
	}
	return used
}

func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// ExecutionParamsField is where findings about a run's own parameters point (CheckPlanRun).
const ExecutionParamsField = "execution.spec.params"

// StageDependencies are the stages each stage waits for. In a plan whose stages name no
// dependsOn, each waits for the stage before it: the stages run one at a time, in order, as the
// upstream controller runs every plan. Once any stage names dependsOn the plan is a graph, as a
// workflow whose actions name dependsOn is: each stage waits for what it names, and a stage that
// names nothing starts with the run.
func StageDependencies(stages []v1alpha1.Stage) [][]string {
	out := make([][]string, len(stages))
	graph := slices.ContainsFunc(stages, func(s v1alpha1.Stage) bool { return len(s.DependsOn) > 0 })
	for i, s := range stages {
		switch {
		case graph:
			out[i] = s.DependsOn
		case i > 0:
			out[i] = []string{stages[i-1].Name}
		}
	}
	return out
}
