package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"sigs.k8s.io/yaml"

	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/progress"
)

// configKeys are the defaults a user may set in ~/.config/drctl/config.yaml or as DRCTL_*
// environment variables (DRCTL_LOCK_TIMEOUT=2m). A flag given on the command line always wins.
var configKeys = []string{"namespace", "progress", "log-format", "lock-timeout", "kube-api-qps", "kube-api-burst", "redact-header"}

// configFile is where drctl reads its defaults: $DRCTL_CONFIG, else $XDG_CONFIG_HOME/drctl/config.yaml,
// else ~/.config/drctl/config.yaml.
func configFile() string {
	if f := os.Getenv("DRCTL_CONFIG"); f != "" {
		return f
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "drctl", "config.yaml")
}

// loadConfig reads the config file (if any) and the environment.
func loadConfig() (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("DRCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	file := configFile()
	if file == "" {
		return v, nil
	}
	v.SetConfigFile(file)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var notFound *os.PathError
		if errors.As(err, &notFound) {
			return v, nil
		}
		return nil, cmdutil.Invalidf("config %s: %v", file, err)
	}
	for _, k := range v.AllKeys() {
		if !knownKey(k) {
			return nil, cmdutil.Invalidf("config %s: unknown key %q: want one of %s", file, k, strings.Join(configKeys, ", "))
		}
	}
	return v, nil
}

func knownKey(k string) bool {
	for _, c := range configKeys {
		if c == k {
			return true
		}
	}
	return false
}

// applyConfig sets every flag of cmd that the user did not give from the config, if it has a value.
func applyConfig(cmd *cobra.Command, v *viper.Viper) error {
	var errs []error
	for _, key := range configKeys {
		f := cmd.Flags().Lookup(key)
		if f == nil || f.Changed || !v.IsSet(key) {
			continue
		}
		value := v.GetString(key)
		if f.Value.Type() == "stringSlice" { // a list in the file, or "a,b" in the environment
			value = strings.Join(v.GetStringSlice(key), ",")
		}
		if err := f.Value.Set(value); err != nil {
			errs = append(errs, fmt.Errorf("%s from the config or environment: %w", key, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cmdutil.Invalidf("%v", err)
	}
	return nil
}

func newConfigCommand(g *globals) *cobra.Command {
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
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := loadConfig()
			if err != nil {
				return err
			}
			builtIn := map[string]string{"namespace": "(from the kubeconfig context)", "progress": progress.Auto, "log-format": "text", "lock-timeout": "0s",
				"kube-api-qps": fmt.Sprint(defaultAPIQPS), "kube-api-burst": fmt.Sprint(defaultAPIBurst), "redact-header": ""}
			out := map[string]map[string]string{}
			for _, k := range configKeys {
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
			fmt.Fprintf(g.streams.Out, "# config file: %s\n%s", configFile(), data)
			return nil
		},
	})
	return cfg
}
