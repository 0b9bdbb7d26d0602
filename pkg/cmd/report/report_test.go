package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drctl/drctl/internal/cmdtest"
)

func TestFlags(t *testing.T) {
	for _, format := range []string{"md", "html", "json"} {
		got, err := cmdtest.Parse(NewCmdReport, "run-1", "-o", format)
		require.NoError(t, err)
		assert.Equal(t, "run-1", got.Execution)
		assert.Equal(t, format, got.Output)
	}
	got, err := cmdtest.Parse(NewCmdReport, "run-1")
	require.NoError(t, err)
	assert.Equal(t, "md", got.Output, "Markdown by default")
	got, err = cmdtest.Parse(NewCmdReport, "run-1", "-o", "pdf")
	cmdtest.AssertUsageError(t, err, `unknown -o "pdf": want md, html or json`, got)
	got, err = cmdtest.Parse(NewCmdReport)
	cmdtest.AssertUsageError(t, err, "accepts 1 arg(s), received 0", got)
}
