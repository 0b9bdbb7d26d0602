package main

import (
	"context"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// objectSize is the size of an execution as people meet it. Indented is what `kubectl get -o json`
// prints (4-space indent, managedFields hidden, a final newline), the figure people quote; Compact
// is the same content without whitespace, close to what the API server stores and sends on every
// write and watch event; Status is the compact size of .status alone.
type objectSize struct {
	Indented, Compact, Status int
	Phase                     v1alpha1.ExecutionPhase
	Message                   string
}

// measureObject reads the execution as unstructured JSON, so that nothing drctl's types do not
// know of is dropped from the figure.
func measureObject(ctx context.Context, c client.Client, ns, name string) (objectSize, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(v1alpha1.KindDRPlanExecution))
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return objectSize{}, err
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
	indented, err := json.MarshalIndent(u.Object, "", "    ")
	if err != nil {
		return objectSize{}, err
	}
	compact, err := json.Marshal(u.Object)
	if err != nil {
		return objectSize{}, err
	}
	status, err := json.Marshal(u.Object["status"])
	if err != nil {
		return objectSize{}, err
	}
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	msg, _, _ := unstructured.NestedString(u.Object, "status", "message")
	return objectSize{Indented: len(indented) + 1, Compact: len(compact), Status: len(status),
		Phase: v1alpha1.ExecutionPhase(phase), Message: msg}, nil
}
