package main

import (
	"strings"
)

// stripTransitionRules removes every x-kubernetes-validations rule that reads oldSelf from crd,
// dropping the list where it becomes empty.
func stripTransitionRules(crd map[string]any) error {
	stripRules(crd)
	return nil
}

func stripRules(node any) {
	switch n := node.(type) {
	case map[string]any:
		if rules, ok := n["x-kubernetes-validations"].([]any); ok {
			kept := rules[:0]
			for _, r := range rules {
				rule, _ := r.(map[string]any)["rule"].(string)
				if !strings.Contains(rule, "oldSelf") {
					kept = append(kept, r)
				}
			}
			if len(kept) == 0 {
				delete(n, "x-kubernetes-validations")
			} else {
				n["x-kubernetes-validations"] = kept
			}
		}
		for _, v := range n {
			stripRules(v)
		}
	case []any:
		for _, v := range n {
			stripRules(v)
		}
	}
}
