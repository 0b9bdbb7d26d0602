package validate

import (
	"fmt"
	"io"
	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// Options configures Validate.
type Options struct {
	// AllowMissingRefs reports a reference to an object absent from the input as a warning
	// instead of an error (for validating a plan without its workflows, say).
	AllowMissingRefs bool
}

// MaxDiagnosticsPerDocument is how many diagnostics one document gets; the rest are counted. A
// generated or hostile document can hold problems in the hundreds of thousands, and a person
// fixes the first ones first.
const MaxDiagnosticsPerDocument = 100

// Validate checks documents, on their own and against each other, and returns every diagnostic
// (unsorted). It decodes each document's Object as a side effect.
func Validate(docs []*Document, opts Options) (diags []Diagnostic) {
	shown := map[*Document]int{}
	hidden := map[*Document]Severity{}
	add := func(d *Document, fs Findings) {
		for _, f := range fs {
			if shown[d]++; shown[d] <= MaxDiagnosticsPerDocument {
				diags = append(diags, d.Diagnostic(f))
			} else if hidden[d] != SeverityError {
				hidden[d] = f.Severity
			}
		}
	}
	defer func() {
		for _, d := range docs {
			if n := shown[d] - MaxDiagnosticsPerDocument; n > 0 {
				diags = append(diags, d.Diagnostic(Finding{Severity: hidden[d],
					Message: fmt.Sprintf("%d more problems in this document are not shown: fix the %d shown first", n, MaxDiagnosticsPerDocument)}))
			}
		}
	}()
	first := map[string]*Document{}
	for _, d := range docs {
		add(d, checkSchema(d))
		add(d, decode(d))
		key := d.Kind + "/" + d.Namespace + "/" + d.Name
		if prev, dup := first[key]; dup && d.Name != "" {
			line, col := prev.Position("")
			add(d, Findings{{Severity: SeverityError, Field: "metadata.name",
				Message: fmt.Sprintf("Duplicate value: %s %s is also defined at %s:%d:%d", d.Kind, qualified(d.Namespace, d.Name), prev.File, line, col)}})
		} else {
			first[key] = d
		}
	}

	resolver := newDocumentResolver(docs)
	refs := RefCheck{Resolver: resolver, MissingSeverity: SeverityError}
	if opts.AllowMissingRefs {
		refs.MissingSeverity = SeverityWarning
	}
	supply := newSupplyIndex(docs, resolver)
	for _, d := range docs {
		switch obj := d.Object.(type) {
		case *v1alpha1.DRWorkflow:
			fs := CheckWorkflow(obj, supply.forWorkflow(d))
			if opts.AllowMissingRefs && len(supply.refs[d]) == 0 {
				fs = plansElsewhere(fs)
			}
			add(d, fs)
		case *v1alpha1.DRPlan:
			add(d, CheckPlan(obj, refs))
		case *v1alpha1.DRPlanExecution:
			add(d, CheckExecution(obj, refs))
		}
	}
	return diags
}

// ValidatePaths loads paths (see Load) and validates what they hold; the diagnostics are sorted.
// It returns the number of drctl documents found too.
func ValidatePaths(paths []string, stdin io.Reader, opts Options) ([]Diagnostic, int) {
	docs, diags := Load(paths, stdin)
	diags = append(diags, Validate(docs, opts)...)
	Sort(diags)
	return diags, len(docs)
}

// supplyIndex knows, for each workflow document, the plans of the input that reference it and
// the parameters each supplies to it.
type supplyIndex struct {
	refs map[*Document][]planSupply
}

type planSupply struct {
	plan   string
	params map[string]bool
}

func newSupplyIndex(docs []*Document, r *documentResolver) *supplyIndex {
	idx := &supplyIndex{refs: map[*Document][]planSupply{}}
	for _, d := range docs {
		plan, ok := d.Object.(*v1alpha1.DRPlan)
		if !ok {
			continue
		}
		for _, st := range plan.Spec.Stages {
			for _, ref := range st.Workflows {
				wfDoc := r.find(v1alpha1.KindDRWorkflow, WorkflowNamespace(plan, ref.WorkflowRef), ref.WorkflowRef.Name)
				if wfDoc == nil {
					continue
				}
				idx.refs[wfDoc] = append(idx.refs[wfDoc], supplyOf(plan, ref))
			}
		}
	}
	return idx
}

// supplyOf is what plan supplies to the workflow of ref: its global parameters and ref's.
func supplyOf(plan *v1alpha1.DRPlan, ref v1alpha1.WorkflowReference) planSupply {
	params := map[string]bool{}
	for _, p := range plan.Spec.GlobalParams {
		params[p.Name] = true
	}
	for _, p := range ref.Params {
		params[p.Name] = true
	}
	return planSupply{plan: qualified(plan.Namespace, plan.Name), params: params}
}

// PlansSupply is the ParamSupply of wf among plans (say, every plan of a cluster): the plans that
// reference wf, and what each supplies to it.
func PlansSupply(wf *v1alpha1.DRWorkflow, plans []*v1alpha1.DRPlan) ParamSupply {
	var refs []planSupply
	for _, plan := range plans {
		for _, st := range plan.Spec.Stages {
			for _, ref := range st.Workflows {
				if ref.WorkflowRef.Name == wf.Name && WorkflowNamespace(plan, ref.WorkflowRef) == wf.Namespace {
					refs = append(refs, supplyOf(plan, ref))
				}
			}
		}
	}
	return supplyFunc(refs)
}

func (idx *supplyIndex) forWorkflow(d *Document) ParamSupply { return supplyFunc(idx.refs[d]) }

func supplyFunc(refs []planSupply) ParamSupply {
	return func(param string) (supplying, missing []string) {
		for _, r := range refs {
			if r.params[param] {
				supplying = appendOnce(supplying, r.plan)
			} else {
				missing = appendOnce(missing, r.plan)
			}
		}
		return supplying, missing
	}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// plansElsewhere judges a workflow validated without any plan that references it, when the
// plans live elsewhere (--allow-missing-refs): a parameter it uses without declaring may be
// supplied by them, as upstream's examples do, so that is a warning rather than an error.
func plansElsewhere(fs Findings) Findings {
	out := make(Findings, len(fs))
	for i, f := range fs {
		if f.Severity == SeverityError && strings.HasPrefix(f.Message, "undefined parameter ") && strings.HasSuffix(f.Message, "not declared in spec.parameters") {
			f.Severity = SeverityWarning
			f.Message += "; no plan in these files references the workflow, so a plan elsewhere must supply it: declare it in spec.parameters"
		}
		out[i] = f
	}
	return out
}
