package validate

import (
	"go.yaml.in/yaml/v3"
)

// duplicateKey is a mapping key written again at Line and Column of the document, first written
// at FirstLine.
type duplicateKey struct {
	Key                     string
	Line, Column, FirstLine int
}

// duplicateKeys finds every key written twice in one mapping. YAML parsers keep the last value,
// so a reviewer reading the first would approve what drctl does not run: such a document is
// refused, as `kubectl --validate=strict` refuses it. Merge keys (`<<`) are not keys of the
// mapping they appear in.
func duplicateKeys(n *yaml.Node) []duplicateKey {
	var out []duplicateKey
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			first := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue
				}
				if prev, dup := first[k.Value]; dup {
					out = append(out, duplicateKey{Key: k.Value, Line: k.Line, Column: k.Column, FirstLine: prev.Line})
					continue
				}
				first[k.Value] = k
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
