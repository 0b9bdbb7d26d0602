package validate

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// CheckExecution checks a DRPlanExecution: Revert names the execution it reverts (and only Revert
// does), parameters are valid and do not claim the reserved name "mode", and the plan and the
// reverted execution exist, the latter being an Execute of the same plan.
func CheckExecution(exec *v1alpha1.DRPlanExecution, refs RefCheck) Findings {
	var fs Findings
	spec := field.NewPath("spec")
	fs = append(fs, checkParams(spec.Child("params"), exec.Spec.Params, supplies)...)
	for i, p := range exec.Spec.Params {
		if p.Name == ReservedParamMode {
			fs.Errorf(spec.Child("params").Index(i).Child("name").String(), "Forbidden: %q is reserved; set spec.mode instead", p.Name)
		}
	}
	revertRef := spec.Child("revertExecutionRef").String()
	switch exec.Spec.OperationType {
	case v1alpha1.OperationRevert:
		if exec.Spec.RevertExecutionRef == "" {
			fs.Errorf(revertRef, "Required value: a Revert execution must name the execution it reverts")
		}
		if exec.Spec.Mode != "" {
			fs.Warnf(spec.Child("mode").String(), "mode applies to Execute only; a Revert undoes what the reverted execution did")
		}
	case v1alpha1.OperationExecute:
		if exec.Spec.RevertExecutionRef != "" {
			fs.Errorf(revertRef, "Forbidden: revertExecutionRef is only valid when operationType is Revert")
		}
	}
	if refs.Resolver == nil {
		return fs
	}
	if exec.Spec.PlanRef != "" {
		plan, ok := refs.Resolver.Plan(exec.Namespace, exec.Spec.PlanRef)
		if !ok {
			refs.missing(&fs, spec.Child("planRef").String(), "Not found: DRPlan %s", qualified(exec.Namespace, exec.Spec.PlanRef))
		} else {
			fs = append(fs, checkExecutionParamsKnown(exec, plan, refs.Resolver)...)
		}
	}
	if exec.Spec.OperationType == v1alpha1.OperationRevert && exec.Spec.RevertExecutionRef != "" {
		target, ok := refs.Resolver.Execution(exec.Namespace, exec.Spec.RevertExecutionRef)
		switch {
		case exec.Spec.RevertExecutionRef == exec.Name:
			fs.Errorf(revertRef, "Invalid value %q: an execution cannot revert itself", exec.Spec.RevertExecutionRef)
		case !ok:
			refs.missing(&fs, revertRef, "Not found: DRPlanExecution %s", qualified(exec.Namespace, exec.Spec.RevertExecutionRef))
		case target.Spec.OperationType != v1alpha1.OperationExecute:
			fs.Errorf(revertRef, "Invalid value %q: it is a %s execution; only an Execute can be reverted", exec.Spec.RevertExecutionRef, target.Spec.OperationType)
		case target.Spec.PlanRef != exec.Spec.PlanRef:
			fs.Errorf(revertRef, "Invalid value %q: it ran plan %q, not %q", exec.Spec.RevertExecutionRef, target.Spec.PlanRef, exec.Spec.PlanRef)
		}
	}
	return fs
}

// checkExecutionParamsKnown warns about execution params no workflow of the plan declares or uses.
func checkExecutionParamsKnown(exec *v1alpha1.DRPlanExecution, plan *v1alpha1.DRPlan, r Resolver) Findings {
	var fs Findings
	known := map[string]bool{}
	for _, st := range plan.Spec.Stages {
		for _, ref := range st.Workflows {
			wf, ok := r.Workflow(WorkflowNamespace(plan, ref.WorkflowRef), ref.WorkflowRef.Name)
			if !ok {
				return fs // cannot tell
			}
			for _, p := range wf.Spec.Parameters {
				known[p.Name] = true
			}
			for name := range usedParams(wf) {
				known[name] = true
			}
		}
	}
	for i, p := range exec.Spec.Params {
		if p.Name != ReservedParamMode && !known[p.Name] {
			fs.Warnf(field.NewPath("spec", "params").Index(i).Child("name").String(), "parameter %q is neither declared nor used by any workflow of plan %s; it has no effect", p.Name, plan.Name)
		}
	}
	return fs
}
