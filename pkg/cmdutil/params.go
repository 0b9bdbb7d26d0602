package cmdutil

import (
	"github.com/spf13/cobra"

	"strings"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// ParseParams reads -p name=value flags (the value may hold '=').
func ParseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, Invalidf("-p %q: want name=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// ParseMode reads --mode in any case (conditions write it lower-cased, the API capitalised).
func ParseMode(m string) (v1alpha1.ExecutionMode, error) {
	if m == "" {
		return "", nil
	}
	for _, mode := range []v1alpha1.ExecutionMode{v1alpha1.ModeInstall, v1alpha1.ModeUpgrade, v1alpha1.ModeDelete, v1alpha1.ModeRollback} {
		if strings.EqualFold(m, string(mode)) {
			return mode, nil
		}
	}
	return "", Invalidf("unknown --mode %q: want Install, Upgrade, Delete or Rollback", m)
}

// PlanInputs are what a run of a plan is given on the command line, shared by the commands that
// run or render one (execute, check, drill): -p name=value and --mode.
type PlanInputs struct {
	// RawParams are the -p flags as typed; Params the same, parsed.
	RawParams []string
	Params    map[string]string
	// RawMode is --mode as typed; Mode the same, in the API's spelling.
	RawMode string
	Mode    v1alpha1.ExecutionMode
}

// AddPlanInputFlags binds -p and --mode to cmd.
func (in *PlanInputs) AddPlanInputFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&in.RawParams, "param", "p", nil, "name=value overriding every other parameter source; repeatable")
	cmd.Flags().StringVar(&in.RawMode, "mode", "", "execution mode: Install, Upgrade, Delete or Rollback (spec.mode)")
}

// Parse reads the flags (exit code 2 when they are wrong).
func (in *PlanInputs) Parse() (err error) {
	if in.Params, err = ParseParams(in.RawParams); err != nil {
		return err
	}
	in.Mode, err = ParseMode(in.RawMode)
	return err
}
