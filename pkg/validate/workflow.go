package validate

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/template"
	"github.com/drctl/drctl/pkg/when"
)

// ParamSupply answers, for a parameter a workflow uses without declaring it, which of the plans
// that reference the workflow supply it and which do not.
type ParamSupply func(param string) (supplying, missing []string)

// CheckWorkflow checks a DRWorkflow on its own: parameters, actions, rollbacks, dependencies and
// every placeholder. supply may be nil; see ParamSupply and checkUndeclared.
func CheckWorkflow(wf *v1alpha1.DRWorkflow, supply ParamSupply) Findings {
	var fs Findings
	spec := field.NewPath("spec")
	fs = append(fs, checkParams(spec.Child("parameters"), wf.Spec.Parameters, declares)...)

	actions := spec.Child("actions")
	actionNames := make([]string, len(wf.Spec.Actions))
	for i, a := range wf.Spec.Actions {
		actionNames[i] = a.Name
	}
	dups, seen := uniqueNames(actions, actionNames)
	fs = append(fs, dups...)
	nodes := make([]node, 0, len(wf.Spec.Actions))
	for i := range wf.Spec.Actions {
		a := &wf.Spec.Actions[i]
		ap := actions.Index(i)
		nodes = append(nodes, node{name: a.Name, dependsOn: a.DependsOn})
		fs = append(fs, checkAction(ap, a, false)...)
		if a.Rollback != nil {
			rp := ap.Child("rollback")
			fs = append(fs, checkRollbackSchema(rp, a.Rollback)...)
			fs = append(fs, checkAction(rp, a.Rollback, true)...)
		}
	}
	fs = append(fs, checkDependencies(actions, "action", nodes)...)
	if graph := slices.ContainsFunc(wf.Spec.Actions, func(a v1alpha1.Action) bool { return len(a.DependsOn) > 0 }); graph {
		// An action apart from the graph (nothing before it, nothing after it) starts with the
		// workflow: in a list read top to bottom, likely not what was meant.
		needed := map[string]bool{}
		for _, a := range wf.Spec.Actions {
			for _, d := range a.DependsOn {
				needed[d] = true
			}
		}
		for i := 1; i < len(wf.Spec.Actions); i++ {
			if a := wf.Spec.Actions[i]; len(a.DependsOn) == 0 && !needed[a.Name] && a.HookType == "" {
				prev := wf.Spec.Actions[i-1].Name
				fs.Warnf(actions.Index(i).Child("name").String(), "action %q names no dependsOn while other actions do, so it starts with the workflow; to run it after %q, add dependsOn: [%s]", a.Name, prev, prev)
			}
		}
	}
	fs = append(fs, checkWorkflowPlaceholders(wf, seen, supply)...)
	if e := wf.Spec.Executor; e != nil && e.Type == v1alpha1.ExecutorArgo {
		fs.Warnf("spec.executor.type", "drctl runs every workflow with its native engine; executor Argo is not supported and is ignored")
	}
	return fs
}

// checkWorkflowPlaceholders checks every placeholder of every action and rollback: parameters must
// be declared, outputs must come from an earlier action of the workflow (a rollback may also read
// its own action's outputs), and the syntax must be right.
func checkWorkflowPlaceholders(wf *v1alpha1.DRWorkflow, actionIndex map[string]int, supply ParamSupply) Findings {
	var fs Findings
	declared := map[string]bool{}
	for _, p := range wf.Spec.Parameters {
		declared[p.Name] = true
	}
	undeclared := map[string][]string{} // parameter -> fields using it
	var order []string
	graph := ancestors(wf.Spec.Actions)
	actions := field.NewPath("spec", "actions")
	for i := range wf.Spec.Actions {
		a := wf.Spec.Actions[i]
		rollback := a.Rollback
		a.Rollback = nil
		for _, part := range []struct {
			path     *field.Path
			action   *v1alpha1.Action
			rollback bool
		}{{actions.Index(i), &a, false}, {actions.Index(i).Child("rollback"), rollback, true}} {
			if part.action == nil {
				continue
			}
			useParam := func(name, at string) {
				if !declared[name] {
					if _, ok := undeclared[name]; !ok {
						order = append(order, name)
					}
					undeclared[name] = append(undeclared[name], at)
				}
			}
			useOutput := func(ref, name, at string) {
				j, ok := actionIndex[name]
				switch {
				case !ok:
					fs.Errorf(at, "undefined output reference %s: the workflow has no action %q", ref, name)
				case j == i && part.rollback:
				case graph != nil && !graph[i][name]:
					fs.Errorf(at, "output reference %s: action %q may not have run when this one starts: the workflow's actions run as a graph, so only the outputs of actions this one depends on (directly or through others) are available; add %q to dependsOn", ref, name, name)
				case graph == nil && j >= i:
					fs.Errorf(at, "output reference %s: action %q runs after this one; only earlier actions' outputs are available", ref, name)
				}
			}
			uses, syntax := placeholders(part.path, part.action)
			fs = append(fs, syntax...)
			for _, u := range uses {
				switch u.Ref.Kind {
				case template.Param:
					useParam(u.Ref.Name, u.Field)
				case template.Output:
					useOutput(u.Ref.Text, u.Ref.Name, u.Field)
				}
			}
			// A condition names parameters and outputs as placeholders do, and is held to the
			// same rules (checkWhen reports one that does not compile).
			if c, err := when.Compile(part.action.When); part.action.When != "" && err == nil {
				at := part.path.Child("when").String()
				for _, name := range c.Params() {
					if name != "mode" { // every run has it: the execution's mode
						useParam(name, at)
					}
				}
				for _, name := range c.Outputs() {
					useOutput(fmt.Sprintf("outputs[%q]", name), name, at)
				}
			}
		}
	}
	for _, name := range order {
		fs = append(fs, checkUndeclared(name, undeclared[name], supply)...)
	}
	return fs
}

// checkUndeclared judges a parameter used but not declared. It is an error, except where the
// plans referencing the workflow all supply it: upstream's examples rely on that, so it is a
// warning asking to declare it.
func checkUndeclared(name string, fields []string, supply ParamSupply) Findings {
	var fs Findings
	var supplying, missing []string
	if supply != nil {
		supplying, missing = supply(name)
	}
	for _, f := range fields {
		switch {
		case len(supplying) > 0 && len(missing) == 0:
			fs.Warnf(f, "parameter %q is not declared; %s %s it: declare it in spec.parameters", name, plural(supplying, "plan"), verb(supplying, "supplies", "supply"))
		case len(missing) > 0:
			fs.Errorf(f, "undefined parameter %q: not declared in spec.parameters, and not supplied by %s", name, plural(missing, "plan"))
		default:
			fs.Errorf(f, "undefined parameter %q: not declared in spec.parameters", name)
		}
	}
	return fs
}

func plural(names []string, noun string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	if len(names) == 1 {
		return fmt.Sprintf("%s %s", noun, names[0])
	}
	return fmt.Sprintf("%ss %s", noun, strings.Join(names, ", "))
}

func verb(names []string, one, many string) string {
	if len(names) == 1 {
		return one
	}
	return many
}

// ancestors is, for a workflow whose actions name dependsOn (a graph), the actions each one
// depends on, directly or through others; nil for a workflow whose actions run in order.
func ancestors(actions []v1alpha1.Action) []map[string]bool {
	index := map[string]int{}
	dag := false
	for i, a := range actions {
		index[a.Name] = i
		dag = dag || len(a.DependsOn) > 0
	}
	if !dag {
		return nil
	}
	out := make([]map[string]bool, len(actions))
	for i := range actions {
		seen := map[string]bool{}
		stack := slices.Clone(actions[i].DependsOn)
		for len(stack) > 0 {
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			k, ok := index[name]
			if !ok || seen[name] {
				continue
			}
			seen[name] = true
			stack = append(stack, actions[k].DependsOn...)
		}
		out[i] = seen
	}
	return out
}
