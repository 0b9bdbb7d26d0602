package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
)

// TestUpstreamFixturesValidate: everything the upstream controller accepts, drctl accepts, with
// warnings where upstream's own examples rely on behaviour drctl asks authors to spell out.
func TestUpstreamFixturesValidate(t *testing.T) {
	samples := testenv.SharedDir(t, "upstream", "samples")
	install := testenv.SharedDir(t, "upstream", "example-install")
	diags, n := ValidatePaths([]string{samples, install}, nil, Options{})
	require.Equal(t, 9, n)
	require.Empty(t, only(diags, SeverityError), dump(diags))

	warnings := only(diags, SeverityWarning)
	var undeclared, useValue int
	for _, w := range warnings {
		switch {
		case w.Kind == "DRWorkflow" && w.Field == "spec.actions[0].localization.spec.feed.namespace":
			assert.Contains(t, w.Message, `parameter "feedNamespace" is not declared; plan default/nginx-install-plan supplies it`)
			undeclared++
		case w.Kind == "DRPlan" && w.Name == "simple-dr-plan" && w.Field != "" && w.Field[len(w.Field)-len("default"):] == "default":
			assert.Contains(t, w.Message, "use value")
			useValue++
		}
	}
	assert.Equal(t, 2, undeclared, dump(warnings))
	assert.Equal(t, 3, useValue, dump(warnings))
}

// TestContractsAreRejectedWhereTheyDifferFromTheCRDs: the spec-time contracts use field names the
// CRDs never had (planRef as an object, operation instead of operationType); drctl reports them
// as unknown fields rather than guessing.
func TestContractsAreRejectedWhereTheyDifferFromTheCRDs(t *testing.T) {
	contracts := testenv.SharedDir(t, "upstream", "contracts")
	diags, _ := ValidatePaths([]string{contracts}, nil, Options{AllowMissingRefs: true})
	require.NotEmpty(t, only(diags, SeverityError))
}
