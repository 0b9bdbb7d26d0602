package main

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Every scenario runs in a namespace of its own, so that no earlier run (the local control plane
// keeps etcd's data between restarts) changes what is measured: not the plan's history, not a
// Lease, not a list that drctl makes.

// createNamespace makes a fresh namespace whose name says which scenario it was for.
func createNamespace(ctx context.Context, c client.Client, scenario string) (string, error) {
	name := fmt.Sprintf("drctl-bench-%s-%s", scenario, time.Now().UTC().Format("20060102-150405"))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{"app.kubernetes.io/created-by": "drctl-bench"}}}
	if err := c.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("create namespace %s: %w", name, err)
	}
	return name, nil
}

// deleteNamespace removes what the scenario and drctl created in ns, then ns itself. The local
// control plane has no controller manager, so deleting a namespace deletes none of its objects
// and leaves it Terminating for ever: the objects are deleted here (one delete-collection per
// kind), and the namespace is then finalized, which is the namespace controller's last step.
func deleteNamespace(ctx context.Context, c client.Client, cs kubernetes.Interface, ns string) error {
	kinds := []client.Object{&v1alpha1.DRPlanExecution{}, &v1alpha1.DRPlan{}, &v1alpha1.DRWorkflow{},
		&coordinationv1.Lease{}, &corev1.Event{}}
	for _, obj := range kinds {
		if err := c.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("delete %T in %s: %w", obj, ns, err)
		}
	}
	if err := c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("delete namespace %s: %w", ns, err)
	}
	live, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil // a namespace controller was there after all
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", ns, err)
	}
	live.Spec.Finalizers = nil
	if _, err := cs.CoreV1().Namespaces().Finalize(ctx, live, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("finalize namespace %s: %w", ns, err)
	}
	return nil
}
