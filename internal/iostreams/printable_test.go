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

func TestTerminalAbilities(t *testing.T) {
	for _, tc := range []struct {
		s                     IOStreams
		smart, color, prompts bool
	}{
		{IOStreams{StdinTTY: true, StdoutTTY: true, StderrTTY: true}, true, true, true},
		{IOStreams{StdinTTY: true, StdoutTTY: true, StderrTTY: true, NoColor: true}, true, false, true},
		{IOStreams{StdinTTY: true, StdoutTTY: true, StderrTTY: true, CI: true}, false, false, false},
		{IOStreams{StdinTTY: true, StdoutTTY: true, StderrTTY: true, DumbTerminal: true}, false, false, true},
		{IOStreams{StdinTTY: true, StderrTTY: true}, false, false, true}, // stdout to a log: still asks
		{IOStreams{StdinTTY: true, StdoutTTY: true}, true, true, false},  // stderr to a file: the question would be unseen
		{IOStreams{StdoutTTY: true, StderrTTY: true}, true, true, false}, // stdin from a pipe: no one to answer
		{IOStreams{StdinTTY: true}, false, false, false},
	} {
		assert.Equal(t, tc.smart, tc.s.SmartTerminal(), "%+v", tc.s)
		assert.Equal(t, tc.color, tc.s.ColorEnabled(), "%+v", tc.s)
		assert.Equal(t, tc.prompts, tc.s.CanPrompt(), "%+v", tc.s)
	}
}
