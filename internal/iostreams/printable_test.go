package iostreams

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPrintableEscapesControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, tabs\tand\nnewlines":     "plain text, tabs\tand\nnewlines",
		"\x1b[2J\x1b]0;owned\a":               `\x1b[2J\x1b]0;owned\a`,
		"ok\rFAILED":                          `ok\rFAILED`,
		"csi \u009b31m and del \x7f":          `csi \u009b31m and del \x7f`,
		"invalid \xff utf-8, valid ünïcödé ✓": `invalid \xff utf-8, valid ünïcödé ✓`,
	} {
		assert.Equal(t, want, Printable(in), "%q", in)
	}
	assert.Equal(t, `a\nfile.yaml:1:1: error: forged\tline`, OneLine("a\nfile.yaml:1:1: error: forged\tline"))
}

// A character split across two writes is escaped (or kept) whole.
func TestPrintableWriterKeepsSplitCharacters(t *testing.T) {
	var out bytes.Buffer
	w := NewPrintableWriter(&out)
	for _, chunk := range [][]byte{[]byte("a\xc2"), []byte("\x9b1m "), []byte("\xe2\x9c"), []byte("\x93 \x1b[0m\n")} {
		n, err := w.Write(chunk)
		assert.NoError(t, err)
		assert.Equal(t, len(chunk), n)
	}
	assert.Equal(t, `a\u009b1m ✓ \x1b[0m`+"\n", out.String())
}
