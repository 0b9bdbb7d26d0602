package iostreams

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text drctl prints comes in part from others: a response body, a file's name, a message in an
// execution's status. A terminal obeys the control characters in it: ESC sequences that recolour,
// clear the screen, set the window title or hide the lines before; a carriage return that
// overwrites a line with another. So every stream drctl writes to a person escapes them, keeping
// only newline and tab. The live view writes its own sequences to Terminal and escapes the text
// it shows with Printable.

// Printable returns s with every control character except newline and tab escaped as Go writes
// it in a string ("\x1b", "\r", "\u009b"), and invalid UTF-8 as "\xff".
func Printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case isControl(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// OneLine is Printable with newlines and tabs escaped too: for text that must stay on its line,
// such as a diagnostic, which a crafted message could otherwise follow with a forged one.
func OneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(Printable(s))
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f
}

func escapeRune(r rune) string {
	switch r {
	case '\r':
		return `\r`
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\v':
		return `\v`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 {
			return !utf8.ValidString(s) || strings.ContainsFunc(s, isControl)
		}
	}
	return false
}

// printableWriter escapes control characters in what passes through it. A multi-byte character
// split across two writes is held until its end arrives.
type printableWriter struct {
	w       io.Writer
	pending []byte
}

// NewPrintableWriter returns a writer that writes Printable(text) to w.
func NewPrintableWriter(w io.Writer) io.Writer { return &printableWriter{w: w} }

func (p *printableWriter) Write(data []byte) (int, error) {
	buf := append(p.pending, data...)
	p.pending = nil
	// Hold back an incomplete UTF-8 sequence at the end (at most 3 bytes).
	for cut := 1; cut <= 3 && cut <= len(buf); cut++ {
		if utf8.RuneStart(buf[len(buf)-cut]) {
			if !utf8.FullRune(buf[len(buf)-cut:]) {
				p.pending = append([]byte(nil), buf[len(buf)-cut:]...)
				buf = buf[:len(buf)-cut]
			}
			break
		}
	}
	if _, err := io.WriteString(p.w, Printable(string(buf))); err != nil {
		return 0, err
	}
	return len(data), nil
}
