package validate

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drctl/drctl/pkg/crd"
)

// schemaValidators holds one OpenAPI validator per drctl kind, built once from the embedded CRDs:
// offline, a document meets exactly the structural rules (types, enums, required fields, minimums,
// patterns) the API server would enforce.
var schemaValidators = sync.OnceValues(func() (map[string]apiservervalidation.SchemaCreateValidator, error) {
	crds, err := crd.CRDs()
	if err != nil {
		return nil, err
	}
	out := map[string]apiservervalidation.SchemaCreateValidator{}
	for _, c := range crds {
		internal := &apiextensions.JSONSchemaProps{}
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(c.Spec.Versions[0].Schema.OpenAPIV3Schema, internal, nil); err != nil {
			return nil, fmt.Errorf("convert schema of %s: %w", c.Name, err)
		}
		v, _, err := apiservervalidation.NewSchemaValidator(internal)
		if err != nil {
			return nil, fmt.Errorf("schema validator of %s: %w", c.Name, err)
		}
		out[c.Spec.Names.Kind] = v
	}
	return out, nil
})

// actionValidator validates one action against the schema of spec.actions[] of DRWorkflow; it
// serves rollbacks, whose own schema in the CRD is left open.
var actionValidator = sync.OnceValues(func() (apiservervalidation.SchemaCreateValidator, error) {
	crds, err := crd.CRDs()
	if err != nil {
		return nil, err
	}
	for _, c := range crds {
		if c.Spec.Names.Kind != "DRWorkflow" {
			continue
		}
		items := c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["actions"].Items.Schema
		internal := &apiextensions.JSONSchemaProps{}
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(items, internal, nil); err != nil {
			return nil, err
		}
		v, _, err := apiservervalidation.NewSchemaValidator(internal)
		return v, err
	}
	return nil, fmt.Errorf("no DRWorkflow CRD embedded")
})

func validateAgainst(v apiservervalidation.SchemaCreateValidator, obj map[string]any, path *field.Path) field.ErrorList {
	return apiservervalidation.ValidateCustomResource(path, obj, v)
}

// checkSchema validates a document against its kind's CRD schema and its metadata the way the API
// server does.
func checkSchema(doc *Document) Findings {
	var fs Findings
	validators, err := schemaValidators()
	if err != nil {
		fs.Errorf("", "internal error: %v", err)
		return fs
	}
	var obj map[string]any
	if err := json.Unmarshal(doc.JSON, &obj); err != nil {
		fs.Errorf("", "%v", err)
		return fs
	}
	for _, e := range apiservervalidation.ValidateCustomResource(nil, obj, validators[doc.Kind]) {
		if spec, present := obj["spec"]; e.Field == "spec" && present && spec == nil {
			fs.Errorf(e.Field, "spec is empty: a %s needs %s", doc.Kind, strings.Join(requiredSpecFields()[doc.Kind], " and "))
			continue
		}
		msg := schemaMessage(e)
		if named := namedElement(obj, e.Field); named != "" {
			msg = named + ": " + msg
		}
		fs.Errorf(e.Field, "%s", msg)
	}
	fs = append(fs, checkMetadata(doc)...)
	return fs
}

// schemaMessage phrases a schema error without repeating its field path.
func schemaMessage(e *field.Error) string {
	msg := strings.ReplaceAll(e.ErrorBody(), " in body ", " ")
	return strings.ReplaceAll(msg, e.Field+" ", "")
}

// checkMetadata applies the API server's metadata rules for a namespaced custom resource: a name
// (a DNS subdomain), labels, annotations, finalizers. A namespace is optional in a file (kubectl
// fills in the context's) but must be valid when given.
func checkMetadata(doc *Document) Findings {
	var fs Findings
	var obj struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(doc.JSON, &obj); err != nil {
		return fs // the schema check reports a metadata of the wrong shape
	}
	errs := apimachineryvalidation.ValidateObjectMeta(&obj.Metadata, obj.Metadata.Namespace != "",
		apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	for _, e := range errs {
		fs.Errorf(e.Field, "%s", schemaMessage(e))
	}
	return fs
}
