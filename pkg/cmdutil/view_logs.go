package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/drctl/drctl/pkg/tui"
)

// viewLogs keeps a run's log records off the terminal while the live view draws on it (a line
// written there would be drawn over, and would tear the view): warnings and errors show in the
// view's header, and every record is held and written, in order, once the view has closed.
// Logs going to --log-file are not held: there they draw over nothing.
type viewLogs struct {
	next  slog.Handler
	state *viewLogState
}

// viewLogState is shared by a handler and those WithAttrs and WithGroup derive from it.
type viewLogState struct {
	mu     sync.Mutex
	buf    *tui.Buffer
	active bool
	held   []heldRecord
	// dropped counts records past maxHeldLogRecords.
	dropped int
}

// maxHeldLogRecords bounds the memory of logs held under the live view (-v logs a few records
// per action).
const maxHeldLogRecords = 100_000

type heldRecord struct {
	handler slog.Handler
	record  slog.Record
}

func (h *viewLogs) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *viewLogs) Handle(ctx context.Context, r slog.Record) error {
	st := h.state
	st.mu.Lock()
	if !st.active {
		st.mu.Unlock()
		return h.next.Handle(ctx, r)
	}
	if len(st.held) < maxHeldLogRecords {
		st.held = append(st.held, heldRecord{h.next, r.Clone()})
	} else {
		st.dropped++
	}
	st.mu.Unlock()
	if r.Level >= slog.LevelWarn {
		st.buf.Warn(oneLine(r))
	}
	return nil
}

func (h *viewLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &viewLogs{next: h.next.WithAttrs(attrs), state: h.state}
}

func (h *viewLogs) WithGroup(name string) slog.Handler {
	return &viewLogs{next: h.next.WithGroup(name), state: h.state}
}

// hold starts holding records (the view has opened).
func (st *viewLogState) hold() {
	st.mu.Lock()
	st.active = true
	st.mu.Unlock()
}

// release writes what was held and stops holding (the view has closed).
func (st *viewLogState) release() {
	st.mu.Lock()
	held, dropped := st.held, st.dropped
	st.active, st.held, st.dropped = false, nil, 0
	st.mu.Unlock()
	for _, h := range held {
		_ = h.handler.Handle(context.Background(), h.record)
	}
	if dropped > 0 && len(held) > 0 {
		last := held[len(held)-1]
		r := slog.NewRecord(last.record.Time, slog.LevelWarn, fmt.Sprintf("%d more log records written under the live view were dropped; --log-file keeps them all", dropped), 0)
		_ = last.handler.Handle(context.Background(), r)
	}
}

// oneLine is a record as a line of the view: its message and attributes.
func oneLine(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	return b.String()
}
