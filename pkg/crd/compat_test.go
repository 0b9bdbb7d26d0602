package crd_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/clusternet"
)

// TestCRDsAreSupersetOfUpstream: every property path of the upstream controller's CRDs exists in
// drctl's with the same type, format and default, and every upstream enum value is accepted.
func TestCRDsAreSupersetOfUpstream(t *testing.T) {
	dir := testenv.SharedDir(t, "upstream", "crds")
	ours, err := crd.CRDs()
	require.NoError(t, err)
	files := yamlFiles(t, dir)
	require.Len(t, files, 3)
	for _, f := range files {
		upstream := readCRDFile(t, f)
		t.Run(upstream.Name, func(t *testing.T) {
			requireSuperset(t, upstream, crdByName(t, ours, upstream.Name))
		})
	}
}

// TestClusternetTypesMatchClusternetCRDs: drctl's own Clusternet types generate CRDs with every
// property of Clusternet's real CRDs (the types drctl sends are what Clusternet accepts).
func TestClusternetTypesMatchClusternetCRDs(t *testing.T) {
	dir := testenv.SharedDir(t, "clusternet", "crds")
	ours, err := clusternet.CRDs()
	require.NoError(t, err)
	require.Len(t, ours, 4)
	for _, c := range ours {
		t.Run(c.Name, func(t *testing.T) {
			real := readCRDFile(t, filepath.Join(dir, c.Spec.Group+"_"+c.Spec.Names.Plural+".yaml"))
			requireSuperset(t, real, c)
			// The other direction too: drctl must not send a field Clusternet would prune.
			requireSuperset(t, c, real)
		})
	}
}

// TestCRDsCarryDrctlAdditions pins the names and columns `kubectl get drp,drw,drpe` relies on.
func TestCRDsCarryDrctlAdditions(t *testing.T) {
	ours, err := crd.CRDs()
	require.NoError(t, err)
	want := map[string]struct {
		short   string
		columns string
	}{
		"drplans.dr.bkbcs.tencent.com":          {"drp", "PHASE,LAST-EXECUTION,AGE"},
		"drworkflows.dr.bkbcs.tencent.com":      {"drw", "ACTIONS,PHASE,AGE"},
		"drplanexecutions.dr.bkbcs.tencent.com": {"drpe", "PLAN,OPERATION,PHASE,PROGRESS,AGE"},
	}
	require.Len(t, ours, len(want))
	for _, c := range ours {
		w, ok := want[c.Name]
		require.True(t, ok, c.Name)
		require.Equal(t, []string{w.short}, c.Spec.Names.ShortNames, c.Name)
		require.Equal(t, []string{"dr"}, c.Spec.Names.Categories, c.Name)
		var cols []string
		for _, col := range c.Spec.Versions[0].AdditionalPrinterColumns {
			cols = append(cols, col.Name)
		}
		require.Equal(t, w.columns, strings.Join(cols, ","), c.Name)
		require.NotNil(t, c.Spec.Versions[0].Subresources.Status, c.Name)
	}
}
