package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// valueFrom resolves a parameter's valueFrom. It runs before the first action, so the value is
// part of the execution's parameter snapshot.
func (e *Engine) valueFrom(ctx context.Context, namespace string, from *v1alpha1.ParameterValueFrom) (string, error) {
	if ref := from.SecretKeyRef; ref != nil {
		secret := &corev1.Secret{}
		if err := e.cfg.ActionClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, secret); err != nil {
			return "", fmt.Errorf("get Secret %s/%s: %w", namespace, ref.Name, err)
		}
		v, ok := secret.Data[ref.Key]
		if !ok {
			return "", fmt.Errorf("no key %q in Secret %s/%s", ref.Key, namespace, ref.Name)
		}
		return string(v), nil
	}
	return e.manifestValue(ctx, namespace, from.ManifestRef)
}

// manifestValue resolves a valueFrom.manifestRef: it reads the named object (or the one the label
// selector and select rule pick) and extracts the JSONPath.
func (e *Engine) manifestValue(ctx context.Context, namespace string, ref *v1alpha1.ManifestRef) (string, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return "", fmt.Errorf("apiVersion %q: %w", ref.APIVersion, err)
	}
	gvk := gv.WithKind(ref.Kind)
	ns := ref.Namespace
	if ns == "" {
		ns = namespace
	}
	var obj *unstructured.Unstructured
	if ref.Name != "" {
		obj = &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		if err := e.cfg.ActionClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, obj); err != nil {
			return "", fmt.Errorf("get %s %s/%s: %w", ref.Kind, ns, ref.Name, err)
		}
	} else {
		sel, err := labels.Parse(ref.LabelSelector)
		if err != nil {
			return "", fmt.Errorf("labelSelector %q: %w", ref.LabelSelector, err)
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(ref.Kind + "List"))
		if err := e.cfg.ActionClient.List(ctx, list, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return "", fmt.Errorf("list %s in %s: %w", ref.Kind, ns, err)
		}
		if obj, err = pick(list.Items, ref.Select); err != nil {
			return "", fmt.Errorf("%s %q in %s: %w", ref.Kind, ref.LabelSelector, ns, err)
		}
	}
	jp := jsonpath.New("valueFrom")
	if err := jp.Parse(ref.JSONPath); err != nil {
		return "", fmt.Errorf("jsonPath %q: %w", ref.JSONPath, err)
	}
	var b strings.Builder
	if err := jp.Execute(&b, obj.Object); err != nil {
		return "", fmt.Errorf("jsonPath %q on %s %s: %w", ref.JSONPath, ref.Kind, obj.GetName(), err)
	}
	return b.String(), nil
}

// pick chooses among matches: Last (newest, the default), First (oldest), Single (exactly one),
// Any.
func pick(items []unstructured.Unstructured, sel v1alpha1.ManifestSelect) (*unstructured.Unstructured, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("no object matches")
	}
	sort.SliceStable(items, func(i, j int) bool {
		return items[i].GetCreationTimestamp().Time.Before(items[j].GetCreationTimestamp().Time)
	})
	switch sel {
	case v1alpha1.ManifestSelectFirst, v1alpha1.ManifestSelectAny:
		return &items[0], nil
	case v1alpha1.ManifestSelectSingle:
		if len(items) != 1 {
			return nil, fmt.Errorf("%d objects match, select Single wants exactly one", len(items))
		}
		return &items[0], nil
	default:
		return &items[len(items)-1], nil
	}
}

func objectKey(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}
