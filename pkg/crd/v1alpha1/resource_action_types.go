package v1alpha1

// ResourceOperation is what a KubernetesResource action does with its manifest.
// +kubebuilder:validation:Enum=Create;Apply;Patch;Delete
type ResourceOperation string

// Operations shared by the KubernetesResource and Clusternet actions.
const (
	OperationCreate  ResourceOperation = "Create"
	OperationApply   ResourceOperation = "Apply"
	OperationPatch   ResourceOperation = "Patch"
	OperationDelete  ResourceOperation = "Delete"
	OperationReplace ResourceOperation = "Replace"
)

// PatchType selects how a Patch operation's manifest is applied to the live object.
// +kubebuilder:validation:Enum=Merge;JSON;Strategic
type PatchType string

// Patch types.
const (
	PatchMerge     PatchType = "Merge"
	PatchJSON      PatchType = "JSON"
	PatchStrategic PatchType = "Strategic"
)

// KubernetesResourceAction creates, applies, patches or deletes one object of any kind.
type KubernetesResourceAction struct {
	// Manifest is the Kubernetes resource manifest (YAML format, supports parameter placeholders)
	Manifest string `json:"manifest"`
	// Operation is the operation type: Create (default), Apply, Patch, Delete
	// +kubebuilder:default=Create
	// +optional
	Operation ResourceOperation `json:"operation,omitempty"`
	// Force takes ownership of conflicting fields on Apply (server-side apply force).
	// Without it a conflict with another field manager fails the action.
	// +optional
	Force bool `json:"force,omitempty"`
	// PatchType selects the patch format for operation=Patch (default Merge).
	// +optional
	PatchType PatchType `json:"patchType,omitempty"`
}
