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

// TestLiveViewInAPseudoTerminal drives the real binary in a terminal: the live view draws the
// tree, 'c' then 'y' cancels the run from the view, and the exit code says Canceled.
func TestLiveViewInAPseudoTerminal(t *testing.T) {
	kubeconfig, ns, c := cluster(t)
	bin := drctlBinary(t)
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

	cmd := exec.Command(bin, "execute", "web-failover", "--name", "run-tty", "--kubeconfig", kubeconfig, "-n", ns)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "CI=", "NO_COLOR=1", "DRCTL_CONFIG=/nonexistent")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	require.NoError(t, err)
	defer tty.Close()
	scr := &screen{}
	go func() { _, _ = io.Copy(scr, tty) }()

	// On a terminal, execute first shows what the run touches and asks.
	scr.waitFor(t, `About to execute plan `+ns+`/web-failover: 1 stages, 2 actions\.`)
	scr.waitFor(t, `Touches: HTTP 127\.0\.0\.1:\d+`)
	scr.waitFor(t, `A revert cannot undo \(1\):\s+web/web/wait: HTTP actions have no automatic rollback`)
	scr.waitFor(t, `Continue\? \[y/N\] `)
	_, err = tty.Write([]byte("y\n"))
	require.NoError(t, err)
	scr.waitFor(t, `execution `+ns+`/run-tty started \(plan web-failover\)`)
	scr.waitFor(t, `Execute run-tty · plan web-failover`)
	scr.waitFor(t, `switch`)
	scr.waitFor(t, `↑/↓ select · enter details · c cancel · p pause · q detach · \? help`)

	_, err = tty.Write([]byte("c"))
	require.NoError(t, err)
	scr.waitFor(t, `Cancel this run\? Running actions finish, the rest are skipped\. \[y/N\]`)
	_, err = tty.Write([]byte("y"))
	require.NoError(t, err)
	scr.waitFor(t, `cancel requested`)
	close(release) // the running action finishes; the next is skipped

	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err = <-waitErr:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("drctl did not exit:\n%s", scr.text())
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v\n%s", err, scr.text())
	assert.Equal(t, 4, exit.ExitCode(), scr.text())
	scr.waitFor(t, `execution run-tty Canceled in \S+: 1 succeeded, 0 failed, 1 skipped`)

	execution := &v1alpha1.DRPlanExecution{}
	require.NoError(t, c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "run-tty"}, execution))
	assert.Equal(t, v1alpha1.PhaseCanceled, execution.Status.Phase)
}
