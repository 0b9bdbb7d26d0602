package template

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adversarial are inputs that made an earlier parser rescan the rest of the string once per
// opening: each is repeated to megabytes by the tests and the benchmark.
var adversarial = []string{"$(", "$(params.", "{{ .", "{{", "$$(", "$( ", "{{- ", "$(x ", "{{ .params.x }"}

// Parsing must not take longer than a few linear passes whatever the input; 1 MiB of the worst
// patterns took minutes before. The time bound is generous (a loaded CI machine), the benchmark
// below gives the figure.
func TestParseIsLinearOnAdversarialInput(t *testing.T) {
	for _, unit := range adversarial {
		s := strings.Repeat(unit, (1<<20)/len(unit))
		start := time.Now()
		_, _ = Parse(s)
		_, _ = Render(s, func(Ref) (string, bool) { return "", true })
		_ = Unescape(s)
		assert.Less(t, time.Since(start), 20*time.Second, "%q repeated to 1 MiB", unit)
	}
}

func BenchmarkParseAdversarial1MiB(b *testing.B) {
	for _, unit := range adversarial {
		s := strings.Repeat(unit, (1<<20)/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				_, _ = Parse(s)
			}
		})
	}
}

// FuzzRender holds Parse and Render to what callers rely on: no panic, placeholders in order and
// inside the string, and rendering every placeholder as itself gives the unescaped text.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		`$(params.x)`, `{{ .params.x }}`, `$$(params.x) $$(VAR)`, `$(outputs.a.b)-$(planName)`,
		`__drctl_placeholder_1$(params.x)`, `$( params.x )`, `{{- .params.x }}`, `$(params.x`, `{{ .params.x`,
		`sh -c "$(date) $(cat $(params.f))"`, `{{ $labels.x }}`, `$$$(params.x)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, errs := Parse(s)
		last := 0
		for _, r := range refs {
			require.GreaterOrEqual(t, r.Start, last)
			require.LessOrEqual(t, r.End, len(s))
			require.Equal(t, s[r.Start:r.End], r.Text)
			last = r.End
		}
		out, err := Render(s, func(r Ref) (string, bool) { return r.Text, true })
		if len(errs) > 0 {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, Unescape(s), out)
	})
}
