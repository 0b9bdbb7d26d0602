package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// historyResult is `drctl history` over a plan with many executions: the listing people run to
// find a past run, which has to page through every execution of the plan.
type historyResult struct {
	Namespace string
	Count     int             // executions of the plan
	Walls     []time.Duration // one per run of the binary
	Median    time.Duration
	MaxRSSKiB int64
	Failure   string
}

// runHistory creates count executions of plan "big" (the labels drctl gives its executions, as
// the in-process benchmark does; no plan or status needed for a listing) and times the binary
// listing them, runs times.
func runHistory(ctx context.Context, env *benchEnv, count, runs int) (r historyResult) {
	r.Count = count
	ns, err := createNamespace(ctx, env.client, "history")
	if err != nil {
		r.Failure = "setup: " + err.Error()
		return r
	}
	r.Namespace = ns
	defer env.cleanup(ctx, ns)

	if err := createExecutions(ctx, env, ns, count); err != nil {
		r.Failure = "setup: " + err.Error()
		return r
	}
	args := append([]string{"history", "big", "-n", ns, "--kubeconfig", env.opts.Kubeconfig}, env.opts.extraArgs()...)
	for range runs {
		p := runProcess(ctx, env.opts.RunTimeout, env.opts.Drctl, args, nil)
		lines := bytes.Count(p.Stdout, []byte("\n"))
		switch {
		case p.Err != nil:
			r.Failure = fmt.Sprintf("drctl history: %v", p.Err)
		case p.ExitCode != 0:
			r.Failure = fmt.Sprintf("drctl history exited %d: %s", p.ExitCode, tail(p.Stderr, 5))
		case lines != count+1: // a header, then one line per execution
			r.Failure = fmt.Sprintf("drctl history printed %d lines, want %d", lines, count+1)
		}
		if r.Failure != "" {
			return r
		}
		r.Walls = append(r.Walls, p.Wall)
		r.MaxRSSKiB = max(r.MaxRSSKiB, p.MaxRSSKiB)
	}
	r.Median = median(r.Walls)
	return r
}

// createExecutions creates the executions 16 at a time: one at a time would take minutes.
func createExecutions(ctx context.Context, env *benchEnv, ns string, count int) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, 16)
	for i := range count {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := env.client.Create(ctx, &v1alpha1.DRPlanExecution{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("big-%05d", i), Namespace: ns,
					Labels: map[string]string{"dr.bkbcs.tencent.com/plan": "big", "drplan": "big"}},
				Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "big", OperationType: v1alpha1.OperationExecute},
			})
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("create execution big-%05d: %w", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}
