package validate

import (
	"fmt"
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
				fs.Errorf(dp, "Not found: %q: no %s of that name (known: %s)", dep, what, someNames(nodes))
			}
		}
	}
	cycles, more := findCycles(nodes, index)
	for _, cycle := range cycles {
		fs.Errorf(path.Index(index[cycle[0]]).Child("dependsOn").String(), "dependency cycle: %s", cycleText(cycle))
	}
	if more > 0 {
		fs.Errorf(path.String(), "%d more dependency cycles (fix the ones above first)", more)
	}
	return fs
}

// maxCycles is how many cycles of one graph are reported: a hostile or generated graph can hold
// as many as it has edges, and a person fixes the first few first.
const maxCycles = 10

// maxNamesShown is how many names a message lists before counting the rest.
const maxNamesShown = 10

// someNames lists the first nodes' names and counts the others.
func someNames(nodes []node) string {
	if len(nodes) <= maxNamesShown {
		return strings.Join(names(nodes), ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names(nodes[:maxNamesShown]), ", "), len(nodes)-maxNamesShown)
}

// cycleText is "a -> b -> c -> a", with the middle of a long cycle counted instead of listed.
func cycleText(cycle []string) string {
	if len(cycle) <= maxNamesShown+1 {
		return strings.Join(cycle, " -> ")
	}
	head, tail := cycle[:maxNamesShown-2], cycle[len(cycle)-2:]
	return fmt.Sprintf("%s -> (%d more) -> %s", strings.Join(head, " -> "), len(cycle)-len(head)-len(tail), strings.Join(tail, " -> "))
}

// findCycles returns each elementary cycle found by depth-first search once, starting at its
// first node in declaration order and ending where it started: the first maxCycles of them, and
// how many more there are.
func findCycles(nodes []node, index map[string]int) ([][]string, int) {
	const (
		unvisited = iota
		onStack
		done
	)
	state := make([]int, len(nodes))
	var stack []string
	var cycles [][]string
	more := 0
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
				if len(cycles) == maxCycles {
					more++ // not copied: a copy per back edge is quadratic in a long chain
					continue
				}
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
	return cycles, more
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
