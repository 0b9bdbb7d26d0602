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

// MaxActions is the most actions a workflow may hold: fifty times the twenty the specification
// is sized for, and few enough that checking them as a graph stays quick.
const MaxActions = 1000

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
	if n := len(wf.Spec.Actions); n > MaxActions {
		fs.Errorf(actions.String(), "Too many: %d actions: drctl runs at most %d per workflow (they are checked as a graph, and each is recorded in the execution's status); split them into workflows run by the plan's stages", n, MaxActions)
		return fs
	}
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
		fs = append(fs, reachWarnings(ActionReach(ap, a, wf.Namespace))...)
		if a.Rollback != nil {
			rp := ap.Child("rollback")
			fs = append(fs, checkRollbackSchema(rp, a.Rollback)...)
			fs = append(fs, checkAction(rp, a.Rollback, true)...)
			fs = append(fs, reachWarnings(ActionReach(rp, a.Rollback, wf.Namespace))...)
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
				case graph != nil && !graph.dependsOn(i, name):
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

// ancestry answers, for a workflow whose actions name dependsOn (a graph), whether an action
// depends on another, directly or through others. Each action's ancestors are a bit set computed
// on first use, so a long workflow costs n²/8 bytes at worst, not n² map entries.
type ancestry struct {
	actions []v1alpha1.Action
	index   map[string]int
	sets    [][]uint64
	state   []uint8 // 0 not computed, 1 computing (a cycle, reported elsewhere), 2 done
}

// ancestors returns the ancestry of actions, or nil for a workflow whose actions run in order.
func ancestors(actions []v1alpha1.Action) *ancestry {
	if !slices.ContainsFunc(actions, func(a v1alpha1.Action) bool { return len(a.DependsOn) > 0 }) {
		return nil
	}
	index := map[string]int{}
	for i, a := range actions {
		if _, dup := index[a.Name]; !dup {
			index[a.Name] = i
		}
	}
	return &ancestry{actions: actions, index: index, sets: make([][]uint64, len(actions)), state: make([]uint8, len(actions))}
}

// dependsOn reports whether action i depends on the action named name.
func (a *ancestry) dependsOn(i int, name string) bool {
	j, ok := a.index[name]
	return ok && a.of(i)[j/64]&(1<<(j%64)) != 0
}

func (a *ancestry) of(i int) []uint64 {
	if a.state[i] != 0 {
		if a.sets[i] == nil { // on a cycle: what is known so far
			return make([]uint64, (len(a.actions)+63)/64)
		}
		return a.sets[i]
	}
	a.state[i] = 1
	set := make([]uint64, (len(a.actions)+63)/64)
	for _, d := range a.actions[i].DependsOn {
		j, ok := a.index[d]
		if !ok || j == i {
			continue
		}
		set[j/64] |= 1 << (j % 64)
		for w, bits := range a.of(j) {
			set[w] |= bits
		}
	}
	a.sets[i], a.state[i] = set, 2
	return set
}
