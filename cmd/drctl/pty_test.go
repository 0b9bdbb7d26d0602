package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/pkg/crd/v1alpha1"
)

// screen collects what a program writes to its terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r`)

// text is the output with escape sequences removed.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.ReplaceAllString(s.buf.String(), "")
}

func (s *screen) waitFor(t *testing.T, re string) {
	t.Helper()
	require.Eventually(t, func() bool { return regexp.MustCompile(re).MatchString(s.text()) }, 20*time.Second, 50*time.Millisecond,
		"the screen never showed %q:\n%s", re, s.text())
}

// terminal is drctl running in a pseudo-terminal of cols columns, and what it draws there.
type terminal struct {
	cmd *exec.Cmd
	tty *os.File
	scr *screen
}

// inTerminal starts the real binary with args in a pseudo-terminal, as a person's shell would.
func inTerminal(t *testing.T, cols uint16, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(drctlBinary(t), args...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "CI=", "NO_COLOR=1", "DRCTL_CONFIG=/nonexistent")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: cols})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tty.Close() })
	term := &terminal{cmd: cmd, tty: tty, scr: &screen{}}
	go func() { _, _ = io.Copy(term.scr, tty) }()
	return term
}

// press types keys into the terminal.
func (term *terminal) press(t *testing.T, keys string) {
	t.Helper()
	_, err := term.tty.Write([]byte(keys))
	require.NoError(t, err)
}

// exit waits at most within for the program to end and returns how it did.
func (term *terminal) exit(t *testing.T, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- term.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		_ = term.cmd.Process.Kill()
		t.Fatalf("%s did not exit:\n%s", strings.Join(term.cmd.Args, " "), term.scr.text())
		return nil
	}
}

// TestLiveViewInAPseudoTerminal drives the real binary in a terminal: the live view draws the
// tree, 'c' then 'y' cancels the run from the view, and the exit code says Canceled.
func TestLiveViewInAPseudoTerminal(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/switch/cluster-b" {
			<-release // hold the first action until the test has seen the view
		}
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	create(t, c, ns, planYAMLs(srv.URL))

	term := inTerminal(t, 100, "execute", "web-failover", "--name", "run-tty", "--kubeconfig", kubeconfig, "-n", ns)
	scr := term.scr

	// On a terminal, execute first shows what the run touches and asks.
	scr.waitFor(t, `About to execute plan `+ns+`/web-failover: 1 stages, 2 actions\.`)
	scr.waitFor(t, `Touches: HTTP 127\.0\.0\.1:\d+`)
	scr.waitFor(t, `A revert cannot undo \(1\):\s+web/web/wait: HTTP actions have no automatic rollback`)
	scr.waitFor(t, `Continue\? \[y/N\] `)
	term.press(t, "y\n")
	scr.waitFor(t, `execution `+ns+`/run-tty started \(plan web-failover\)`)
	scr.waitFor(t, `Execute run-tty · plan web-failover`)
	scr.waitFor(t, `switch`)
	scr.waitFor(t, `↑/↓ select · enter details · c cancel · p pause · q detach · \? help`)

	term.press(t, "c")
	scr.waitFor(t, `Cancel this run\? Running actions finish, the rest are skipped\. \[y/N\]`)
	term.press(t, "y")
	scr.waitFor(t, `cancel requested`)
	close(release) // the running action finishes; the next is skipped

	err := term.exit(t, 30*time.Second)
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v\n%s", err, scr.text())
	assert.Equal(t, 4, exit.ExitCode(), scr.text())
	scr.waitFor(t, `execution run-tty Canceled in \S+: 1 succeeded, 0 failed, 1 skipped`)

	execution := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "run-tty"}, execution))
	assert.Equal(t, v1alpha1.PhaseCanceled, execution.Status.Phase)
}
