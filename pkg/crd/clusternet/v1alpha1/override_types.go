package v1alpha1

// Feed names one source object in the hub cluster that Clusternet distributes.
type Feed struct {
	// Kind is a string value representing the REST resource this object represents.
	Kind string `json:"kind"`
	// APIVersion defines the versioned schema of this representation of an object.
	APIVersion string `json:"apiVersion"`
	// Namespace of the target resource.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the target resource.
	Name string `json:"name"`
}

// OverridePolicy says when a Localization or Globalization takes effect.
// +kubebuilder:validation:Enum=ApplyNow;ApplyLater
type OverridePolicy string

// Override policies. A failover wants ApplyNow: ApplyLater waits for the next change of the feed.
const (
	ApplyNow   OverridePolicy = "ApplyNow"
	ApplyLater OverridePolicy = "ApplyLater"
)

// OverrideType is the patch format of an override.
// +kubebuilder:validation:Enum=Helm;JSONPatch;MergePatch;FieldJSONPatch;FieldMergePatch
type OverrideType string

// Override types.
const (
	HelmType            OverrideType = "Helm"
	JSONPatchType       OverrideType = "JSONPatch"
	MergePatchType      OverrideType = "MergePatch"
	FieldJSONPatchType  OverrideType = "FieldJSONPatch"
	FieldMergePatchType OverrideType = "FieldMergePatch"
)

// FieldFormat is the format of an override value aimed at one field.
// +kubebuilder:validation:Enum=YAML;JSON
type FieldFormat string

// OverrideConfig is one override applied to a feed.
type OverrideConfig struct {
	// Name indicate the OverrideConfig name.
	// +optional
	Name string `json:"name,omitempty"`
	// Value is a YAML/JSON format patch that overrides values in current Helm Chart or objects.
	Value string `json:"value"`
	// Type specifies the override type for override value.
	Type OverrideType `json:"type"`
	// OverrideChart indicates whether the override value for the HelmChart CR.
	// +optional
	OverrideChart bool `json:"overrideChart,omitempty"`
	// FieldPath is the path of the field to override (FieldJSONPatch / FieldMergePatch).
	// +optional
	FieldPath string `json:"fieldPath,omitempty"`
	// FieldFormat is the format of the value at FieldPath.
	// +optional
	FieldFormat FieldFormat `json:"fieldFormat,omitempty"`
}
