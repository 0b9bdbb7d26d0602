package validate

import (
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	sigsjson "sigs.k8s.io/json"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// decode decodes a document into its Go type, strictly: every field the type does not know is an
// error naming the field's path, as `kubectl --validate=strict` reports it. When the document does
// not fit the type at all (a string where a list belongs), Object stays nil and the schema check
// has already said why.
func decode(doc *Document) Findings {
	var obj runtime.Object
	switch doc.Kind {
	case v1alpha1.KindDRWorkflow:
		obj = &v1alpha1.DRWorkflow{}
	case v1alpha1.KindDRPlan:
		obj = &v1alpha1.DRPlan{}
	case v1alpha1.KindDRPlanExecution:
		obj = &v1alpha1.DRPlanExecution{}
	default:
		return nil
	}
	var fs Findings
	strictErrs, err := sigsjson.UnmarshalStrict(doc.JSON, obj)
	if err != nil {
		return fs // a type mismatch: reported by the schema check with its exact path
	}
	for _, e := range strictErrs {
		var fe sigsjson.FieldError
		if !errors.As(e, &fe) {
			fs.Errorf("", "%v", e)
			continue
		}
		path := strings.TrimPrefix(fe.FieldPath(), ".")
		name := path[strings.LastIndexAny(path, ".]")+1:]
		if strings.Contains(e.Error(), "duplicate field") {
			fs.Errorf(path, "duplicate field %q", name)
		} else {
			fs.Errorf(path, "unknown field %q", name)
		}
	}
	doc.Object = obj
	return fs
}
