package validate

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/drctl/drctl/pkg/crd"
)

var pathStepPattern = regexp.MustCompile(`^([^.\[]+)((?:\[[^\]]*\])*)`)

// namedElement says which named list element a field path lies in, by its name: for
// "spec.parameters[0].type", `parameter "target"`. Schema errors name elements by index only; a
// person finds them by name. It is "" when no element on the path has a name.
func namedElement(obj map[string]any, path string) string {
	var cur any = obj
	found := ""
	for path != "" {
		m := pathStepPattern.FindStringSubmatch(path)
		if m == nil {
			break
		}
		path = strings.TrimPrefix(path[len(m[0]):], ".")
		key := m[1]
		asMap, ok := cur.(map[string]any)
		if !ok {
			break
		}
		cur = asMap[key]
		for _, idx := range strings.Split(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			i, err := strconv.Atoi(idx)
			list, isList := cur.([]any)
			if err != nil || !isList || i < 0 || i >= len(list) {
				if asMap, ok := cur.(map[string]any); ok {
					cur = asMap[idx]
					continue
				}
				return found
			}
			cur = list[i]
			if el, ok := cur.(map[string]any); ok {
				if name, ok := el["name"].(string); ok && name != "" {
					found = fmt.Sprintf("%s %q", singular(key), clip(name))
				}
			}
		}
	}
	return found
}

func singular(listField string) string {
	switch listField {
	case "params", "globalParams", "parameters":
		return "parameter"
	}
	return strings.TrimSuffix(listField, "s")
}

// requiredSpecFields lists the fields a kind's spec requires, from its CRD schema, for the
// message about an empty spec.
var requiredSpecFields = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	crds, err := crd.CRDs()
	if err != nil {
		return out
	}
	for _, c := range crds {
		spec := c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
		req := slices.Clone(spec.Required)
		for i := range req {
			req[i] = "spec." + req[i]
		}
		out[c.Spec.Names.Kind] = req
	}
	return out
})
