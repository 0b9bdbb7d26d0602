package cmdutil

import (
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
