package main

import (
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// stripTransitionRules removes every x-kubernetes-validations rule that reads oldSelf from the CRD
// in file, dropping the list where it becomes empty.
func stripTransitionRules(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	stripRules(crd)
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	return os.WriteFile(file, append([]byte("---\n"), out...), 0o644)
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
