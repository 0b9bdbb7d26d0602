package validate

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// node is one vertex of a dependency graph: a stage or an action.
type node struct {
	name      string
	dependsOn []string
}

// checkDependencies checks dependsOn lists of the nodes at path[i]: every name must exist and not
// be the node itself, and the graph must be acyclic. A cycle is reported once, with its whole path
// ("a -> b -> c -> a"). what names the nodes ("stage", "action").
func checkDependencies(path *field.Path, what string, nodes []node) Findings {
	var fs Findings
	index := map[string]int{}
	for i, n := range nodes {
		if _, dup := index[n.name]; !dup {
			index[n.name] = i
		}
	}
	for i, n := range nodes {
		for j, dep := range n.dependsOn {
			dp := path.Index(i).Child("dependsOn").Index(j).String()
			switch _, ok := index[dep]; {
			case dep == n.name:
				fs.Errorf(dp, "Invalid value %q: %s %q depends on itself", dep, what, n.name)
			case !ok:
				fs.Errorf(dp, "Not found: %q: no %s of that name (known: %s)", dep, what, strings.Join(names(nodes), ", "))
			}
		}
	}
	for _, cycle := range findCycles(nodes, index) {
		fs.Errorf(path.Index(index[cycle[0]]).Child("dependsOn").String(), "dependency cycle: %s", strings.Join(cycle, " -> "))
	}
	return fs
}

// findCycles returns each elementary cycle found by depth-first search once, starting at its
// first node in declaration order and ending where it started.
func findCycles(nodes []node, index map[string]int) [][]string {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(nodes))
	var stack []string
	var cycles [][]string
	var visit func(i int)
	visit = func(i int) {
		state[i] = onStack
		stack = append(stack, nodes[i].name)
		for _, dep := range nodes[i].dependsOn {
			j, ok := index[dep]
			if !ok || j == i { // reported as unknown or self
				continue
			}
			switch state[j] {
			case unvisited:
				visit(j)
			case onStack:
				start := slices.Index(stack, dep)
				cycle := append(slices.Clone(stack[start:]), dep)
				cycles = append(cycles, rotate(cycle, index))
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range nodes {
		if state[i] == unvisited {
			visit(i)
		}
	}
	return cycles
}

// rotate makes a closed cycle start at its earliest-declared node, so the message is stable.
func rotate(cycle []string, index map[string]int) []string {
	open := cycle[:len(cycle)-1]
	first := 0
	for i, n := range open {
		if index[n] < index[open[first]] {
			first = i
		}
	}
	out := append(slices.Clone(open[first:]), open[:first]...)
	return append(out, out[0])
}

func names(nodes []node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.name)
	}
	return out
}
