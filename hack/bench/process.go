package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// procResult is one run of the drctl binary, measured from outside as a user would see it.
type procResult struct {
	Start     time.Time // just before the process was started
	Wall      time.Duration
	ExitCode  int   // -1 if it was killed (timeout)
	MaxRSSKiB int64 // peak resident set size, from the kernel's rusage
	Stdout    []byte
	Stderr    []byte
	Err       error // could not be started, or was killed
}

// runProcess runs bin with args and extra environment, killing it after timeout.
func runProcess(ctx context.Context, timeout time.Duration, bin string, args, env []string) procResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr // pipes, not a terminal: drctl prints plain progress
	r := procResult{Start: time.Now()}
	if err := cmd.Start(); err != nil {
		r.Err, r.ExitCode = err, -1
		return r
	}
	err := cmd.Wait()
	r.Wall = time.Since(r.Start)
	r.Stdout, r.Stderr = stdout.Bytes(), stderr.Bytes()
	r.ExitCode = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKiB = ru.Maxrss // KiB on Linux
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.Err = err
	}
	if ctx.Err() != nil {
		r.Err = errors.New("killed after " + timeout.String())
	}
	return r
}

// tail is the last n lines of out, for a failure report.
func tail(out []byte, n int) string {
	out = bytes.TrimRight(out, "\n")
	lines := bytes.Split(out, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
