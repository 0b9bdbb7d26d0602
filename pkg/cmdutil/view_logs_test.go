package cmdutil

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/drctl/drctl/pkg/tui"
)

// Under the live view, logs wait and warnings show in the view; when it closes, everything is
// written in order; before and after, logs go straight through.
func TestLogsWaitWhileTheLiveViewDraws(t *testing.T) {
	var stderr bytes.Buffer
	st := &viewLogState{buf: &tui.Buffer{}}
	log := slog.New(&viewLogs{next: slog.NewTextHandler(&stderr, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}), state: st})

	log.Info("before the view")
	assert.Equal(t, "level=INFO msg=\"before the view\"\n", stderr.String())
	stderr.Reset()

	st.hold()
	log.Debug("rendered", "action", "switch")
	log.With("execution", "run-1").Warn("status write retried", "attempt", 2)
	assert.Empty(t, stderr.String(), "nothing reaches the terminal the view draws on")
	assert.Equal(t, []string{"status write retried attempt=2"}, st.buf.TakeWarnings(), "the warning is for the view")

	st.release()
	assert.Equal(t, "level=DEBUG msg=rendered action=switch\n"+
		"level=WARN msg=\"status write retried\" execution=run-1 attempt=2\n", stderr.String(), "held records, in order, with their attributes")
	stderr.Reset()
	log.Info("after")
	assert.Equal(t, "level=INFO msg=after\n", stderr.String())
}
