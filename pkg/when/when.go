// Package when evaluates an action's `when` condition: a CEL expression, the language of
// Kubernetes validation rules, over the execution's mode and operation, the workflow's parameters
// and the outputs of the actions that ran before it. The upstream controller's forms
// (`mode == "install" || mode == "upgrade"`, `operation == "execute"`) are CEL and keep their
// meaning.
package when

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// costLimit bounds one evaluation, so that no condition can hold a run (CEL's cost units; a
// comparison costs about one).
const costLimit = 100000

// Vars are what a condition reads.
type Vars struct {
	// Mode is the execution's mode (Install, Upgrade, Delete, Rollback; "" when unset). A
	// condition sees it lower-cased: mode == "install".
	Mode string
	// Operation is Execute or Revert; a condition sees it lower-cased: operation == "execute".
	Operation string
	// Params are the workflow's resolved parameters: params.region or params["region"].
	Params map[string]string
	// Outputs are the outputs of the actions that ran before, by action and field:
	// outputs.check.statusCode == "200". Nil in a dry run, where they are not known yet.
	Outputs map[string]map[string]string
}

var env = func() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("mode", cel.StringType),
		cel.Variable("operation", cel.StringType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("outputs", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.StringType))),
		ext.Strings(),
	)
	if err != nil {
		panic(err)
	}
	return e
}()

// Condition is a compiled `when` expression.
type Condition struct {
	expr    string
	program cel.Program
	reads   map[string]bool // the variables it reads
	// params and outputs are the parameters and actions it names literally (params.region,
	// outputs["check"]), for validation to check as it checks placeholders.
	params, outputs []string
}

// Compile checks an expression: it must parse, use only the variables above, and yield a
// boolean. The error says where, in CEL's words.
func Compile(expr string) (*Condition, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, errors.New(strings.TrimPrefix(iss.Err().Error(), "ERROR: <input>:"))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("the expression yields %s; a condition must yield a bool", t)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptPartialEval), cel.CostLimit(costLimit))
	if err != nil {
		return nil, err
	}
	c := &Condition{expr: expr, program: prg, reads: map[string]bool{}}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name != "" {
			c.reads[ref.Name] = true
		}
	}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		variable, key, ok := literalKey(e)
		switch {
		case !ok:
		case variable == "params":
			c.params = append(c.params, key)
		case variable == "outputs":
			c.outputs = append(c.outputs, key)
		}
	}))
	return c, nil
}

// literalKey recognises a variable's key named literally: params.region, params["region"].
func literalKey(e celast.Expr) (variable, key string, ok bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.Operand().Kind() == celast.IdentKind && !sel.IsTestOnly() {
			return sel.Operand().AsIdent(), sel.FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == operators.Index && len(call.Args()) == 2 && call.Args()[0].Kind() == celast.IdentKind && call.Args()[1].Kind() == celast.LiteralKind {
			if k, isString := call.Args()[1].AsLiteral().Value().(string); isString {
				return call.Args()[0].AsIdent(), k, true
			}
		}
	}
	return "", "", false
}

// Params are the parameters the condition names literally.
func (c *Condition) Params() []string { return c.params }

// Outputs are the actions whose outputs the condition names literally.
func (c *Condition) Outputs() []string { return c.outputs }

// String is the expression as written.
func (c *Condition) String() string { return c.expr }

// ReadsMode reports whether the condition chooses by the execution's mode.
func (c *Condition) ReadsMode() bool { return c.reads["mode"] }

// Eval evaluates the condition. decided is false when the result depends on outputs that are not
// known yet (Vars.Outputs nil: a dry run). A parameter or output that does not exist is an error.
func (c *Condition) Eval(v Vars) (result, decided bool, err error) {
	params := v.Params
	if params == nil {
		params = map[string]string{}
	}
	vars := map[string]any{"mode": strings.ToLower(v.Mode), "operation": strings.ToLower(v.Operation), "params": params}
	var unknown []*cel.AttributePatternType
	if v.Outputs == nil {
		unknown = append(unknown, cel.AttributePattern("outputs"))
	} else {
		vars["outputs"] = v.Outputs
	}
	act, err := cel.PartialVars(vars, unknown...)
	if err != nil {
		return false, false, err
	}
	out, _, err := c.program.Eval(act)
	if err != nil {
		return false, false, err
	}
	if types.IsUnknown(out) {
		return false, false, nil
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, false, fmt.Errorf("the expression yielded %v, not a bool", out)
	}
	return b, true, nil
}
