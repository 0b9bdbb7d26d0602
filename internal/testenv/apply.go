package testenv

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd"
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

var scheme = crd.NewScheme()

// Apply creates in namespace the drctl objects of a YAML stream ("---" between documents), each
// decoded strictly (an unknown field fails the test, as a typo in a test's YAML should).
func Apply(t testing.TB, c client.Client, namespace, docs string) {
	t.Helper()
	for _, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("apply: %v\n%s", err, doc)
		}
		typed, err := scheme.New(v1alpha1.GroupVersion.WithKind(meta.Kind))
		if err != nil {
			t.Fatalf("apply: kind %q: %v", meta.Kind, err)
		}
		obj := typed.(client.Object)
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("apply: %v\n%s", err, doc)
		}
		obj.SetNamespace(namespace)
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatalf("apply: create %s %s: %v", meta.Kind, obj.GetName(), err)
		}
	}
}
