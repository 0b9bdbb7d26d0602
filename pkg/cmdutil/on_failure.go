package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// OnFailureFlag is --on-failure: what the run does when an action fails for good.
type OnFailureFlag struct {
	value string
}

// AddOnFailureFlag defines --on-failure on cmd.
func (f *OnFailureFlag) AddOnFailureFlag(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&f.value, "on-failure", "",
		"when "+what+" fails for good: ask (hold it until drctl retry, skip or reject) or fail (end as the failure policies say); default: the plan's onFailure, else fail")
}

// OnFailure is the policy the flag names ("" when it is not given), or a usage error.
func (f *OnFailureFlag) OnFailure() (v1alpha1.OnFailurePolicy, error) {
	switch strings.ToLower(f.value) {
	case "":
		return "", nil
	case "ask":
		return v1alpha1.OnFailureAsk, nil
	case "fail":
		return v1alpha1.OnFailureFail, nil
	}
	return "", Invalidf("--on-failure %q: want ask or fail", f.value)
}
