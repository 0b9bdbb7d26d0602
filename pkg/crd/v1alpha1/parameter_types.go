package v1alpha1

// ParameterType is the declared type of a parameter value.
// +kubebuilder:validation:Enum=string;number;boolean
type ParameterType string

// Parameter types.
const (
	ParameterTypeString  ParameterType = "string"
	ParameterTypeNumber  ParameterType = "number"
	ParameterTypeBoolean ParameterType = "boolean"
)

// Parameter defines a parameter with name, type, and value/default. The same shape serves as a
// declaration in DRWorkflow.spec.parameters and as a supplied value in DRPlan globalParams, stage
// params and DRPlanExecution params.
type Parameter struct {
	// Name is the parameter name
	Name string `json:"name"`
	// Type is the parameter type: string (default), number, boolean
	// +kubebuilder:default=string
	// +optional
	Type ParameterType `json:"type,omitempty"`
	// Value is the explicit value to use (e.g. when passing params in DRPlan stage). Takes precedence over Default when both set.
	// Mutually exclusive with ValueFrom.
	// A pointer, because an explicitly empty value is a value: it renders as "".
	// +optional
	Value *string `json:"value,omitempty"`
	// Default is the default value (used when Value is not set, e.g. in workflow/plan parameter definitions)
	// +optional
	Default *string `json:"default,omitempty"`
	// Required indicates if the parameter is required
	// +optional
	Required bool `json:"required,omitempty"`
	// Description is the parameter description
	// +optional
	Description string `json:"description,omitempty"`
	// Sensitive marks a value drctl never writes out: not in the execution's record (its
	// resolvedParams says REDACTED), events, logs, progress or dry-run output, wherever the value
	// appears. A value read from a Secret through valueFrom is sensitive unless this says false
	// (drctl addition).
	// +optional
	Sensitive *bool `json:"sensitive,omitempty"`
	// ValueFrom dynamically resolves a parameter value from a Kubernetes resource.
	// Mutually exclusive with Value.
	// +optional
	ValueFrom *ParameterValueFrom `json:"valueFrom,omitempty"`
}

// ParameterValueFrom names where a parameter's value is read from at run time.
type ParameterValueFrom struct {
	// ManifestRef resolves a value from a Kubernetes resource field via JSONPath.
	// +optional
	ManifestRef *ManifestRef `json:"manifestRef,omitempty"`
	// SecretKeyRef reads the value of one key of a Secret in the plan's namespace, decoded, as a
	// container's env does. The parameter is sensitive (drctl addition).
	// +optional
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
}

// SecretKeyRef names one key of a Secret.
type SecretKeyRef struct {
	// Name is the Secret's name.
	Name string `json:"name"`
	// Key is the key of the Secret's data.
	Key string `json:"key"`
}

// ManifestSelect picks one object when a ManifestRef matches several.
// +kubebuilder:validation:Enum=Last;First;Single;Any
type ManifestSelect string

// ManifestRef selections.
const (
	ManifestSelectLast   ManifestSelect = "Last"
	ManifestSelectFirst  ManifestSelect = "First"
	ManifestSelectSingle ManifestSelect = "Single"
	ManifestSelectAny    ManifestSelect = "Any"
)

// ManifestRef resolves a value from a Kubernetes resource field via JSONPath.
type ManifestRef struct {
	// APIVersion is the resource API version (e.g. "batch/v1")
	APIVersion string `json:"apiVersion"`
	// Kind is the resource kind (e.g. "Job")
	Kind string `json:"kind"`
	// Name is the exact resource name. Mutually exclusive with LabelSelector.
	// Supports $(params.xxx) placeholders.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace is the resource namespace. Supports $(params.xxx) placeholders.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// LabelSelector is a label selector string (e.g. "app=foo,env=prod").
	// Mutually exclusive with Name. Supports $(params.xxx) placeholders.
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
	// JSONPath is the JSONPath expression to extract the value (e.g. "{.metadata.name}")
	JSONPath string `json:"jsonPath"`
	// Select specifies which resource to pick when multiple matches are found.
	// Last (default): pick by latest creationTimestamp; First: pick by earliest;
	// Single: require exactly 1 match; Any: pick arbitrarily.
	// +kubebuilder:default=Last
	// +optional
	Select ManifestSelect `json:"select,omitempty"`
}

// ObjectReference names an object of a known kind by name and namespace.
type ObjectReference struct {
	// Name is the object name
	Name string `json:"name"`
	// Namespace is the object namespace
	// +optional
	Namespace string `json:"namespace,omitempty"`
}
