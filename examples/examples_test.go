// Package examples holds runnable DR plans; this test keeps them valid, so the documentation
// cannot rot.
package examples

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/validate"
)

func TestEveryExampleValidatesWithoutWarnings(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	require.Contains(t, dirs, "quickstart")
	require.Contains(t, dirs, "ecommerce")
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			diags, n := validate.ValidatePaths([]string{dir}, nil, validate.Options{})
			if dir == "rbac" { // Kubernetes RBAC objects only, run in cmd/drctl's TestOperatorRoleExampleIsEnough
				require.Zero(t, n)
			} else {
				require.Positive(t, n)
			}
			for _, d := range diags {
				require.Equal(t, validate.SeverityInfo, d.Severity, d.String())
			}
		})
	}
}

// TestEcommerceUsesEveryActionType: the spec's e-commerce plan is the tour of drctl's actions.
func TestEcommerceUsesEveryActionType(t *testing.T) {
	docs, diags := validate.Load([]string{"ecommerce"}, nil)
	require.Empty(t, diags)
	validate.Validate(docs, validate.Options{})
	types := map[v1alpha1.ActionType]bool{}
	for _, d := range docs {
		if wf, ok := d.Object.(*v1alpha1.DRWorkflow); ok {
			for _, a := range wf.Spec.Actions {
				types[a.Type] = true
			}
		}
	}
	for _, want := range []v1alpha1.ActionType{v1alpha1.ActionHTTP, v1alpha1.ActionJob, v1alpha1.ActionKubernetesResource, v1alpha1.ActionLocalization, v1alpha1.ActionSubscription} {
		require.True(t, types[want], "no %s action in examples/ecommerce", want)
	}
}
