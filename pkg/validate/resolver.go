package validate

import (
	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Resolver finds the objects a plan or execution refers to. `drctl validate` resolves among its
// input documents; the admission webhook will resolve against the API server.
type Resolver interface {
	Workflow(namespace, name string) (*v1alpha1.DRWorkflow, bool)
	Plan(namespace, name string) (*v1alpha1.DRPlan, bool)
	Execution(namespace, name string) (*v1alpha1.DRPlanExecution, bool)
}

// documentResolver resolves references among decoded documents.
type documentResolver struct {
	byKind map[string]map[string][]*Document // kind -> name -> documents
}

func newDocumentResolver(docs []*Document) *documentResolver {
	r := &documentResolver{byKind: map[string]map[string][]*Document{}}
	for _, d := range docs {
		if d.Object == nil {
			continue
		}
		if r.byKind[d.Kind] == nil {
			r.byKind[d.Kind] = map[string][]*Document{}
		}
		r.byKind[d.Kind][d.Name] = append(r.byKind[d.Kind][d.Name], d)
	}
	return r
}

// find returns the document of kind and name in namespace. A document without a namespace goes
// wherever it is applied, so it matches any namespace; a reference from an object without a
// namespace matches a single document of that name in any namespace.
func (r *documentResolver) find(kind, namespace, name string) *Document {
	candidates := r.byKind[kind][name]
	for _, d := range candidates {
		if d.Namespace == namespace {
			return d
		}
	}
	for _, d := range candidates {
		if d.Namespace == "" {
			return d
		}
	}
	if namespace == "" && len(candidates) == 1 {
		return candidates[0]
	}
	return nil
}

func (r *documentResolver) Workflow(namespace, name string) (*v1alpha1.DRWorkflow, bool) {
	if d := r.find(v1alpha1.KindDRWorkflow, namespace, name); d != nil {
		return d.Object.(*v1alpha1.DRWorkflow), true
	}
	return nil, false
}

func (r *documentResolver) Plan(namespace, name string) (*v1alpha1.DRPlan, bool) {
	if d := r.find(v1alpha1.KindDRPlan, namespace, name); d != nil {
		return d.Object.(*v1alpha1.DRPlan), true
	}
	return nil, false
}

func (r *documentResolver) Execution(namespace, name string) (*v1alpha1.DRPlanExecution, bool) {
	if d := r.find(v1alpha1.KindDRPlanExecution, namespace, name); d != nil {
		return d.Object.(*v1alpha1.DRPlanExecution), true
	}
	return nil, false
}
