package crd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// schemaNode is what the compatibility tests compare at one property path.
type schemaNode struct {
	Type    string
	Format  string
	Enum    []string
	Default string
}

// flattenSchema maps every property path of a CRD's first version ("spec.stages[].name",
// "status.resolvedParams{}") to its node.
func flattenSchema(crd *apiextensionsv1.CustomResourceDefinition) map[string]schemaNode {
	out := map[string]schemaNode{}
	var walk func(p string, s *apiextensionsv1.JSONSchemaProps)
	walk = func(p string, s *apiextensionsv1.JSONSchemaProps) {
		n := schemaNode{Type: s.Type, Format: s.Format}
		for _, e := range s.Enum {
			n.Enum = append(n.Enum, string(e.Raw))
		}
		if s.Default != nil {
			n.Default = string(s.Default.Raw)
		}
		out[p] = n
		for name, child := range s.Properties {
			walk(strings.TrimPrefix(p+"."+name, "."), &child)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(p+"[]", s.Items.Schema)
		}
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
			walk(p+"{}", s.AdditionalProperties.Schema)
		}
	}
	walk("", crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	return out
}

// requireSuperset fails for every property path of want missing from got or differing in type,
// format or default, and for every enum value of want that got does not accept.
func requireSuperset(t *testing.T, want, got *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	require.Equal(t, want.Spec.Group, got.Spec.Group)
	require.Equal(t, want.Spec.Names.Kind, got.Spec.Names.Kind)
	require.Equal(t, want.Spec.Names.Plural, got.Spec.Names.Plural)
	require.Equal(t, want.Spec.Scope, got.Spec.Scope)
	wantPaths, gotPaths := flattenSchema(want), flattenSchema(got)
	var problems []string
	for p, w := range wantPaths {
		g, ok := gotPaths[p]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing", p))
			continue
		case g.Type != w.Type:
			problems = append(problems, fmt.Sprintf("%s: type %q, want %q", p, g.Type, w.Type))
		case g.Format != w.Format:
			problems = append(problems, fmt.Sprintf("%s: format %q, want %q", p, g.Format, w.Format))
		case g.Default != w.Default:
			problems = append(problems, fmt.Sprintf("%s: default %s, want %s", p, g.Default, w.Default))
		}
		if len(g.Enum) > 0 {
			for _, e := range w.Enum {
				if !slices.Contains(g.Enum, e) {
					problems = append(problems, fmt.Sprintf("%s: enum lacks %s", p, e))
				}
			}
			if len(w.Enum) == 0 {
				problems = append(problems, fmt.Sprintf("%s: enum %v where the reference accepts any value", p, g.Enum))
			}
		}
	}
	slices.Sort(problems)
	require.Empty(t, problems, "%s: drctl's schema is not a superset of the reference", want.Name)
}

func readCRDFile(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	crd := &apiextensionsv1.CustomResourceDefinition{}
	require.NoError(t, yaml.Unmarshal(data, crd), file)
	return crd
}

func crdByName(t *testing.T, crds []*apiextensionsv1.CustomResourceDefinition, name string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	for _, c := range crds {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("drctl has no CRD %s", name)
	return nil
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no YAML in %s", dir)
	return files
}
