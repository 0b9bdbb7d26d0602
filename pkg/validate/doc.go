// Package validate checks DRWorkflow, DRPlan and DRPlanExecution objects without a cluster: their
// structure against drctl's CRD schemas (what the API server would reject), unknown fields,
// parameters and templates, stage and action dependency graphs, rollback rules, and the references
// between documents (plan → workflows, execution → plan, revert → the execution it reverts).
//
// The rule functions (CheckWorkflow, CheckPlan, CheckExecution) are pure: they take API objects and,
// for references, a Resolver, and return Findings with field paths. `drctl validate` feeds them
// documents loaded from files (Load keeps line numbers, so every Diagnostic names file:line:col);
// the admission webhook of `drctl serve` will feed them objects from the API server.
package validate
