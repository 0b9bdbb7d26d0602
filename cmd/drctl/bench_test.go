package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/testenv"
	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// BenchmarkHistory5000 lists a plan's 5000 executions (the spec's scale target) with
// `drctl history`, through the label selector and pages of 500, on the real API server.
func BenchmarkHistory5000(b *testing.B) {
	e := testenv.Require(b, env)
	ctx := context.Background()
	if err := crd.Install(ctx, e.Config, crd.InstallOptions{}); err != nil {
		b.Fatal(err)
	}
	c, err := client.New(e.Config, client.Options{Scheme: crd.NewScheme()})
	if err != nil {
		b.Fatal(err)
	}
	ns := "history-bench"
	_ = c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 5000 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_ = c.Create(ctx, &v1alpha1.DRPlanExecution{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("big-%05d", i), Namespace: ns,
					Labels: map[string]string{"dr.bkbcs.tencent.com/plan": "big", "drplan": "big"}},
				Spec: v1alpha1.DRPlanExecutionSpec{PlanRef: "big", OperationType: v1alpha1.OperationExecute},
			})
		}()
	}
	wg.Wait()
	kubeconfig := e.Kubeconfig(b)
	b.ResetTimer()
	for b.Loop() {
		code, out, errOut := drctl(b, "", "history", "big", "-n", ns, "--kubeconfig", kubeconfig)
		if code != 0 || strings.Count(out, "\n") != 5001 {
			b.Fatalf("exit %d, %d lines: %s", code, strings.Count(out, "\n"), errOut)
		}
	}
}
