package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// ConfigKeys are the defaults a user may set in ~/.config/drctl/config.yaml or as DRCTL_*
// environment variables (DRCTL_LOCK_TIMEOUT=2m). A flag given on the command line always wins.
var ConfigKeys = []string{"namespace", "progress", "log-format", "lock-timeout", "kube-api-qps", "kube-api-burst", "redact-header"}

// client-go's own defaults (5 requests per second, bursts of 10) throttle one run of a plan: a
// run writes its record once per action, and a 400-action plan waited minutes on the limiter
// instead of seconds on the API server. drctl sends at most what its runs need, and the server's
// API Priority and Fairness shares it among clients; --kube-api-qps/--kube-api-burst (or the
// config file's kube-api-qps/kube-api-burst) lower it where a cluster asks for that.
const (
	DefaultAPIQPS   = 500
	DefaultAPIBurst = 1000
)

// ConfigFile is where drctl reads its defaults: $DRCTL_CONFIG, else
// $XDG_CONFIG_HOME/drctl/config.yaml, else ~/.config/drctl/config.yaml.
func ConfigFile() string {
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

// LoadConfig reads the config file (if any) and the environment. An unknown key is an error:
// a misspelt default would otherwise be ignored without a word.
func LoadConfig() (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("DRCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	file := ConfigFile()
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
		return nil, Invalidf("config %s: %v", file, err)
	}
	for _, k := range v.AllKeys() {
		if !slices.Contains(ConfigKeys, k) {
			return nil, Invalidf("config %s: unknown key %q: want one of %s", file, k, strings.Join(ConfigKeys, ", "))
		}
	}
	return v, nil
}

// ApplyConfig sets every flag of cmd that the user did not give from the config, if it has a
// value there.
func ApplyConfig(cmd *cobra.Command, v *viper.Viper) error {
	var errs []error
	for _, key := range ConfigKeys {
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
		return Invalidf("%v", err)
	}
	return nil
}
