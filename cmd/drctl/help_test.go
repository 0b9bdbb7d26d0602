package main

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmd/root"
)

// TestEveryCommandHasExamples: -h of every drctl command shows commands that really run.
func TestEveryCommandHasExamples(t *testing.T) {
	streams, _, _, _ := iostreams.Test()
	drctl := root.NewCmdRoot(streams, nil)
	drctl.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Parent().Name() == "completion" {
				continue
			}
			if sub.Name() != "completion" { // cobra's own, documented in its Long text
				assert.NotEmpty(t, sub.Example, "drctl %s has no examples", sub.CommandPath())
			}
			walk(sub)
		}
	}
	assert.NotEmpty(t, drctl.Example)
	walk(drctl)
}
