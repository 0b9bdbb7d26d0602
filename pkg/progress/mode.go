package progress

import "fmt"

// Modes of --progress.
const (
	// Auto is TTY on a capable terminal, Plain elsewhere.
	Auto = "auto"
	// TTY is the live view (pkg/tui).
	TTY = "tty"
	// Plain is one timestamped line per transition.
	Plain = "plain"
	// JSON is one JSON object per line.
	JSON = "json"
)

// CheckMode says why mode is not a --progress value, or nil.
func CheckMode(mode string) error {
	switch mode {
	case Auto, TTY, Plain, JSON:
		return nil
	}
	return fmt.Errorf("unknown --progress %q: want auto, tty, plain or json", mode)
}
