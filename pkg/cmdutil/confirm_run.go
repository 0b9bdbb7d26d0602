package cmdutil

import (
	"context"
	"fmt"

	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/tui"
)

// ConfirmExecute shows what an Execute of opts would touch (tui.ExecuteSummary, from a dry run)
// and asks to go on; note ends the summary (what follows the run, if anything). The warnings the
// dry run raised are in the summary, or on stderr when the plan cannot run: the caller clears
// opts.OnWarning so that they are not said twice.
func ConfirmExecute(ctx context.Context, s *RunSession, opts engine.ExecuteOptions, commandPath, note string) error {
	var warnings []string
	dry := opts
	dry.OnWarning = func(w string) { warnings = append(warnings, w) }
	planned, err := s.Engine.DryRun(ctx, dry)
	if err != nil {
		for _, w := range warnings { // they may say why the plan is invalid
			fmt.Fprintf(s.io.ErrOut, "Warning: %s\n", w)
		}
		return err
	}
	dryRun := fmt.Sprintf("%s %s -n %s --dry-run", commandPath, opts.Plan, opts.Namespace)
	return Confirm(ctx, s.io, s.f.Interrupts, tui.ExecuteSummary(opts.Namespace, opts.Plan, opts.Mode, planned, warnings, dryRun)+note)
}
