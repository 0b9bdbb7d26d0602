package main

import (
	"context"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
	"github.com/drctl/drctl/pkg/engine"
	"github.com/drctl/drctl/pkg/progress"
	"github.com/drctl/drctl/pkg/tui"
)

func newWatchCommand(g *globals) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "watch EXECUTION",
		Short: "Follow an execution run by any runner, read-only, until it ends",
		Long: `Watch shows an execution's progress as execute does — the live view on a terminal, plain or JSON
lines otherwise — by watching its DRPlanExecution, whoever runs it: another laptop, or drctl
serve. It exits when the execution ends, with its exit code (0 succeeded, 1 failed, 4 canceled,
5 unknown).`,
		Example: `  drctl watch prod-failover-20261128-031500-a1b2 -n dr
  drctl watch prod-failover-20261128-031500-a1b2 --progress json`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			return completeNames(cmd.Context(), g, v1alpha1.KindDRPlanExecution), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkProgress(mode); err != nil {
				return err
			}
			return watchExecution(cmd.Context(), g, args[0], g.resolveProgress(mode))
		},
	}
	cmd.Flags().StringVar(&mode, "progress", progress.Auto, "progress output: auto, tty, plain or json")
	return cmd
}

func watchExecution(ctx context.Context, g *globals, name, mode string) error {
	cfg, err := restConfig(g)
	if err != nil {
		return err
	}
	ns, _, err := g.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		return err
	}
	exec := &v1alpha1.DRPlanExecution{}
	if err := c.Get(ctx, objectKey(ns, name), exec); err != nil {
		return fmt.Errorf("get DRPlanExecution %s/%s: %w", ns, name, err)
	}
	tree := tui.NewTree(exec)
	render := progress.New(mode, g.streams.Out)
	if ended(exec) { // its final frame at once
		if mode == progress.JSON {
			render.Start(exec, fmt.Sprintf("execution %s/%s has ended", ns, name))
			render.Snapshot(exec)
		} else {
			fmt.Fprintln(g.streams.Out, tui.RenderTree(tree, tui.Style{}, time.Now(), 0))
		}
		return finishRun(render, &engine.Result{Execution: exec, Phase: exec.Status.Phase, Message: exec.Status.Message}, nil)
	}
	render.Start(exec, fmt.Sprintf("watching execution %s/%s (plan %s, %s)", ns, name, exec.Spec.PlanRef, exec.Spec.OperationType))

	var observer engine.Observer = render
	var program *tea.Program
	var model *tui.Model
	var viewEnd chan struct{}
	if mode == progress.TTY {
		buf := &tui.Buffer{}
		observer = buf
		model = tui.NewModel(tree, buf, tui.ViewOptions{Color: !g.streams.NoColor})
		program, viewEnd = g.startLiveView(model, "")
	} else {
		render.Snapshot(exec) // where the run stands as the watch joins it
	}

	final, err := follow(ctx, c, exec, tree, observer, func() bool { return model != nil && model.Detached })
	if program != nil {
		program.Send(tui.DoneMsg{})
		<-viewEnd
	}
	if err != nil {
		return err
	}
	if final == nil { // the view was closed
		return nil
	}
	return finishRun(render, &engine.Result{Execution: final, Phase: final.Status.Phase, Message: final.Status.Message}, nil)
}

// follow watches exec until it ends, feeding observer the events between successive records.
// It returns the final record, or nil when detached() says the user stopped watching.
func follow(ctx context.Context, c client.WithWatch, exec *v1alpha1.DRPlanExecution, tree *tui.Tree, observer engine.Observer, detached func() bool) (*v1alpha1.DRPlanExecution, error) {
	for {
		w, err := c.Watch(ctx, &v1alpha1.DRPlanExecutionList{}, client.InNamespace(exec.Namespace),
			client.MatchingFields{"metadata.name": exec.Name})
		if err != nil {
			return nil, err
		}
		ticker := time.NewTicker(200 * time.Millisecond)
		for open := true; open; {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					open = false
					break
				}
				next, isExec := ev.Object.(*v1alpha1.DRPlanExecution)
				if !isExec {
					continue
				}
				nextTree := tui.NewTree(next)
				for _, e := range tui.Diff(tree, nextTree, time.Now()) {
					observer.Observe(e)
				}
				tree, exec = nextTree, next
				if ended(exec) {
					w.Stop()
					ticker.Stop()
					return exec, nil
				}
			case <-ticker.C:
				if detached() {
					w.Stop()
					ticker.Stop()
					return nil, nil
				}
			case <-ctx.Done():
				w.Stop()
				ticker.Stop()
				return nil, ctx.Err()
			}
		}
		w.Stop()
		ticker.Stop()
	}
}

func ended(e *v1alpha1.DRPlanExecution) bool {
	return v1alpha1.IsFinished(e.Status.Phase) || e.Status.Phase == v1alpha1.PhaseUnknown
}
