package engine

import (
	"context"
	"fmt"
	"log/slog"
)

// redactingHandler passes log records on with sensitive values redacted from the message and
// every attribute: a debug log of an HTTP action holds its URL, headers and body.
type redactingHandler struct {
	inner  slog.Handler
	redact *redactor
}

// redactedLogger returns logger with r applied to everything it logs.
func redactedLogger(logger *slog.Logger, r *redactor) *slog.Logger {
	return slog.New(&redactingHandler{inner: logger.Handler(), redact: r})
}

func (h *redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.redact.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	redacted := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		redacted[i] = h.attr(a)
	}
	return &redactingHandler{inner: h.inner.WithAttrs(redacted), redact: h.redact}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{inner: h.inner.WithGroup(name), redact: h.redact}
}

// attr redacts one attribute: strings as they are, groups member by member, anything else (a
// map of headers, an error) as the text a handler would print for it.
func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.redact.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		members := make([]any, len(group))
		for i, m := range group {
			members[i] = h.attr(m)
		}
		return slog.Group(a.Key, members...)
	case slog.KindAny:
		return slog.String(a.Key, h.redact.String(fmt.Sprint(v.Any())))
	}
	return a
}
