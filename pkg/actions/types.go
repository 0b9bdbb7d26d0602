package actions

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Type is everything drctl knows about one action type, in one place: how it runs, what makes it
// valid, what undoes it and how that is described, which of its fields are documents, and how it
// is shown. The engine, validate and the views ask the table (Lookup, Types) and never switch on
// a type name, so adding a type is one file that registers it, plus its test.
type Type struct {
	// Name is the action's spec.type.
	Name v1alpha1.ActionType
	// Field is the JSON name of the type's configuration block ("http", "resource").
	Field string
	// Set reports whether the action carries this type's block.
	Set func(a *v1alpha1.Action) bool
	// Operations are the operations the type performs, the first being the default; nil for a
	// type that does one thing (HTTP, Job).
	Operations []v1alpha1.ResourceOperation
	// operation is the operation written in the action's block ("" when unset).
	operation func(a *v1alpha1.Action) string
	// deleteNamed is an action deleting, by name, the object the action names.
	deleteNamed func(a *v1alpha1.Action) *v1alpha1.Action
	// Rollback says what undoes an operation when the action has no custom rollback.
	Rollback func(op v1alpha1.ResourceOperation) Rollback
	// recorded is the object a run of the action recorded in its outputs (nil when none).
	recorded func(o *v1alpha1.ActionOutputs) *corev1.ObjectReference
	// undoMany, when set, is the delete of the several objects a run recorded (a PerCluster
	// Subscription's children); nil when the run recorded one object, or none.
	undoMany func(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) *v1alpha1.Action
	// deleteAction is the action that deletes the recorded object ref, and only that one.
	deleteAction func(ref *corev1.ObjectReference) *v1alpha1.Action
	// NewExecutor makes the executor that performs the type.
	NewExecutor func() Executor
	// Check reports the problems of the action's block; path is the action's path.
	Check func(path *field.Path, a *v1alpha1.Action, r Reporter)
	// Documents are the block's string fields that hold a document (rendered value by value).
	Documents []Document
	// access lists the objects the action acts on and how (AccessOf); nil for a type that acts
	// on none.
	access func(a *v1alpha1.Action) []Access
	// Target summarises, in one line, what the action acts on.
	Target func(a *v1alpha1.Action) string
	// Details show what the action does, as rendered (the live view's detail pane).
	Details func(a *v1alpha1.Action) []string
	// Example is a small valid action of the type performing op (ignored by a type without
	// operations) on the object at names; an HTTP action calls at.URL. The table's test runs
	// every type's examples, so a new type is tested the moment it is registered.
	Example func(op v1alpha1.ResourceOperation, at ExampleTarget) *v1alpha1.Action
}

// ExampleTarget is what a Type's Example acts on.
type ExampleTarget struct {
	Namespace, Name string
	// URL is the endpoint an HTTP example calls.
	URL string
}

// example reads an action from YAML written with fmt verbs; examples are fixed text, so an error
// is a bug of the type's file, caught by the table's test.
func example(format string, args ...any) *v1alpha1.Action {
	a := &v1alpha1.Action{}
	if err := yaml.UnmarshalStrict([]byte(fmt.Sprintf(format, args...)), a); err != nil {
		panic(fmt.Sprintf("action example: %v", err))
	}
	return a
}

// Reporter receives the problems a type's Check finds, by field path.
type Reporter interface {
	Errorf(field, format string, args ...any)
	Warnf(field, format string, args ...any)
}

// DocumentFormat is how a document field is written back after its placeholders are expanded.
type DocumentFormat int

const (
	// DocumentYAML is a YAML document; text that is not YAML is an error.
	DocumentYAML DocumentFormat = iota + 1
	// DocumentAsWritten stays JSON if written as JSON, YAML if written as YAML, and is plain
	// text otherwise.
	DocumentAsWritten
	// DocumentURL is an http(s) URL: each value is escaped for the part of the URL it lands in,
	// so that no value can add a query parameter or change the host.
	DocumentURL
)

// Document is a string field holding a document. Path is relative to the action, with [*] for
// any list index: "resource.manifest", "localization.spec.overrides[*].value".
type Document struct {
	Path   string
	Format DocumentFormat
}

// RollbackKind is what reverting an action without a custom rollback does.
type RollbackKind int

const (
	// RollbackNone: revert skips the action; nothing can be inferred to undo it.
	RollbackNone RollbackKind = iota
	// RollbackRequired: nothing can be inferred, so validate requires a custom rollback.
	RollbackRequired
	// RollbackDelete: revert deletes the object the action recorded.
	RollbackDelete
	// RollbackDeleteIfCreated: revert deletes the object only when the action created it.
	RollbackDeleteIfCreated
)

// Rollback is an operation's automatic rollback: its kind, and what it deletes or why there is none.
type Rollback struct {
	Kind RollbackKind
	// What is the object deleted ("the Job (and its Pods)") or why nothing is done.
	What string
}

// Describe says what reverting does, as --dry-run and describe show it.
func (r Rollback) Describe() string {
	switch r.Kind {
	case RollbackDelete:
		return "automatic: delete " + r.What
	case RollbackDeleteIfCreated:
		return "automatic: delete " + r.What + " if the action created it; skipped if it existed before"
	case RollbackRequired:
		return "none: " + r.What + " (a custom rollback is required)"
	}
	return "none: " + r.What + " (revert skips it)"
}

// StandIn replaces placeholders when a field's shape is checked before their values are known.
const StandIn = "placeholder"

var registered []*Type

// register adds a type to the table; each type's file calls it from init.
func register(t *Type) {
	if Lookup(t.Name) != nil {
		panic(fmt.Sprintf("action type %s registered twice", t.Name))
	}
	registered = append(registered, t)
	slices.SortFunc(registered, func(a, b *Type) int { return cmp.Compare(a.Name, b.Name) })
}

// Types lists every registered action type, by name.
func Types() []*Type { return slices.Clone(registered) }

// Lookup returns the type named t, or nil.
func Lookup(t v1alpha1.ActionType) *Type {
	for _, r := range registered {
		if r.Name == t {
			return r
		}
	}
	return nil
}

// Recorded is the object a run of the action recorded in its outputs (nil when none).
func (t *Type) Recorded(o *v1alpha1.ActionOutputs) *corev1.ObjectReference {
	if o == nil || t.recorded == nil {
		return nil
	}
	return t.recorded(o)
}

// Operation is the operation the action performs, its type's default when unset; "" for a type
// without operations.
func (t *Type) Operation(a *v1alpha1.Action) v1alpha1.ResourceOperation {
	if len(t.Operations) == 0 {
		return ""
	}
	if op := t.operation(a); op != "" {
		return v1alpha1.ResourceOperation(op)
	}
	return t.Operations[0]
}

// RollbackOf is the automatic rollback of the action's operation.
func (t *Type) RollbackOf(a *v1alpha1.Action) Rollback { return t.Rollback(t.Operation(a)) }

// AutoRollback returns the action that undoes forward, which ran and recorded outputs; or nil and
// why nothing is done (the rollback is then Skipped with that message). It follows RollbackOf,
// which is what --dry-run and describe show.
func (t *Type) AutoRollback(forward *v1alpha1.Action, outputs *v1alpha1.ActionOutputs) (*v1alpha1.Action, string) {
	if !t.Set(forward) {
		return nil, t.Field + " is not set"
	}
	rb := t.RollbackOf(forward)
	switch rb.Kind {
	case RollbackNone, RollbackRequired:
		return nil, fmt.Sprintf("%s; define a rollback to undo it", rb.What)
	}
	var many *v1alpha1.Action
	if t.undoMany != nil {
		many = t.undoMany(forward, outputs)
	}
	ref := t.Recorded(outputs)
	if ref == nil && many == nil {
		return nil, "no object was recorded, nothing to delete"
	}
	if rb.Kind == RollbackDeleteIfCreated && (outputs.ResourceExisted == nil || *outputs.ResourceExisted) {
		return nil, "applied to an existing object; define a rollback"
	}
	if many != nil {
		return many, ""
	}
	return t.deleteAction(ref), ""
}

// DeleteRecorded is the action deleting the object a run of an action of this type recorded in
// its outputs, and only that one (by UID); nil when it recorded none.
func (t *Type) DeleteRecorded(o *v1alpha1.ActionOutputs) *v1alpha1.Action {
	ref := t.Recorded(o)
	if ref == nil || t.deleteAction == nil {
		return nil
	}
	return t.deleteAction(ref)
}

// DeleteOf is the action deleting, by name, the object a creates or applies (the same names,
// placeholders and all): what a Delete-mode run infers from an install's action. Nil, with why,
// when the action makes no object that can be named before it runs (HTTP, a Job, whose names are
// per execution) or does not make one (a Patch, a Delete).
func (t *Type) DeleteOf(a *v1alpha1.Action) (*v1alpha1.Action, string) {
	if t.deleteNamed == nil || !t.Set(a) {
		return nil, fmt.Sprintf("%s actions make no object that can be deleted by name", t.Name)
	}
	switch op := t.Operation(a); op {
	case v1alpha1.OperationCreate, v1alpha1.OperationApply, v1alpha1.OperationReplace:
		del := t.deleteNamed(a)
		del.Rollback, del.When, del.WaitReady, del.DependsOn = nil, "", false, nil
		return del, ""
	default:
		return nil, fmt.Sprintf("a %s of a %s makes no object to delete", op, t.Name)
	}
}

// patchRollback is the rule of every Patch: its inverse cannot be inferred (FR-004a/c/h).
var patchRollback = Rollback{Kind: RollbackRequired, What: "the inverse of a patch cannot be inferred"}

// or is s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
