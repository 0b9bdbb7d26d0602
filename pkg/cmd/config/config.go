// Package config is `drctl config`: the defaults drctl uses when a flag is not given, and where
// each comes from (environment, config file, built in).
package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/progress"
)

// NewCmdConfig builds the command and its subcommands.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cfg := &cobra.Command{
		Use:     "config",
		Short:   "Show drctl's configuration",
		Example: "  drctl config view",
	}
	cfg.AddCommand(&cobra.Command{
		Use:   "view",
		Short: "Print the effective defaults and where each comes from",
		Long: `View prints the defaults drctl uses when a flag is not given: from DRCTL_* environment variables,
else the config file (~/.config/drctl/config.yaml, or $DRCTL_CONFIG), else built in.`,
		Example: "  drctl config view\n  DRCTL_PROGRESS=json drctl config view",
		Args:    cmdutil.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return View(f)
		},
	})
	return cfg
}

// builtIn are the defaults drctl has without a config file or environment.
var builtIn = map[string]string{
	"namespace": "(from the kubeconfig context)", "progress": progress.Auto, "log-format": "text", "lock-timeout": "0s",
	"kube-api-qps": fmt.Sprint(cmdutil.DefaultAPIQPS), "kube-api-burst": fmt.Sprint(cmdutil.DefaultAPIBurst), "redact-header": "",
}

// View prints every configurable default, its value and its source, as YAML.
func View(f *cmdutil.Factory) error {
	v, err := cmdutil.LoadConfig()
	if err != nil {
		return err
	}
	out := map[string]map[string]string{}
	for _, k := range cmdutil.ConfigKeys {
		value, source := builtIn[k], "default"
		if os.Getenv("DRCTL_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))) != "" {
			value, source = v.GetString(k), "environment"
		} else if v.InConfig(k) {
			value, source = v.GetString(k), "file"
		}
		out[k] = map[string]string{"value": value, "source": source}
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IOStreams.Out, "# config file: %s\n%s", cmdutil.ConfigFile(), data)
	return nil
}
