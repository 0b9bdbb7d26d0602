// Package cmdtest runs one command of pkg/cmd in a test, on buffers and without a cluster: how a
// command's flag and argument handling is tested through its runF seam.
package cmdtest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/drctl/drctl/internal/iostreams"
	"github.com/drctl/drctl/pkg/cmdutil"
	"github.com/drctl/drctl/pkg/engine"
)

// ErrNoCluster is what the Factory's cluster functions return: a command under test that
// reaches for the cluster fails with it.
var ErrNoCluster = errors.New("cmdtest: no cluster in this test")

// Streams are a test's streams and their buffers.
type Streams struct {
	*iostreams.IOStreams
	In, Out, ErrOut *bytes.Buffer
}

// NewFactory is a Factory on test streams whose cluster functions fail with ErrNoCluster.
func NewFactory() (*cmdutil.Factory, *Streams) {
	io, in, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{
		IOStreams:  io,
		RESTConfig: func() (*rest.Config, error) { return nil, ErrNoCluster },
		KubeClient: func() (client.WithWatch, string, error) { return nil, "", ErrNoCluster },
		Engine: func(context.Context, engine.Observer, ...func(*engine.Config)) (*engine.Engine, string, error) {
			return nil, "", ErrNoCluster
		},
		Logger:           func(slog.Level) *slog.Logger { return slog.New(slog.DiscardHandler) },
		SensitiveHeaders: func() []string { return nil },
	}
	return f, &Streams{IOStreams: io, In: in, Out: out, ErrOut: errOut}
}

// Execute runs cmd with args, as the root command would run it, and returns its error;
// cmdutil.ExitCode gives the exit code the user would see.
func Execute(cmd *cobra.Command, streams *iostreams.IOStreams, args ...string) error {
	if args == nil {
		args = []string{} // cobra reads the test binary's own arguments when given nil
	}
	cmd.SetArgs(args)
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.Invalid(err) })
	return cmd.ExecuteContext(context.Background())
}

// Parse runs the command newCmd builds with args through its runF seam, without a cluster: the
// Options the command line gives, or nil and the error it was refused with.
func Parse[O any](newCmd func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	f, streams := NewFactory()
	var got *O
	err := Execute(newCmd(f, func(_ context.Context, o *O) error { got = o; return nil }), streams.IOStreams, args...)
	return got, err
}

// AssertUsageError checks that err is a usage error (exit code 2) saying want, and that the
// command did not run (got is nil).
func AssertUsageError[O any](t *testing.T, err error, want string, got *O) {
	t.Helper()
	require.Error(t, err)
	assert.Contains(t, err.Error(), want)
	assert.Equal(t, cmdutil.ExitInvalid, cmdutil.ExitCode(err), "a usage error: exit code 2")
	assert.Nil(t, got, "nothing runs")
}
