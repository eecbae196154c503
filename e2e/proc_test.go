//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on waiting. A test's subprocesses are killed when testTimeout
// passes; one expected event (bytes, a line, an exit) may take waitTimeout.
// Neither is a performance threshold: they only keep a broken gnc from
// hanging the suite.
const (
	testTimeout = 20 * time.Second
	waitTimeout = 8 * time.Second
)

// raceEnv keeps the race runtime from sleeping a second at every exit.
const raceEnv = "GORACE=atexit_sleep_ms=0"

// outBuf collects a subprocess's output and lets a test wait for it.
type outBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newOutBuf() *outBuf { return &outBuf{changed: make(chan struct{})} }

func (o *outBuf) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.b.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *outBuf) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// wait returns the content once cond holds for it, or the content and false
// when ctx ends first.
func (o *outBuf) wait(ctx context.Context, cond func(string) bool) (string, bool) {
	for {
		o.mu.Lock()
		s, ch := o.b.String(), o.changed
		o.mu.Unlock()
		if cond(s) {
			return s, true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s, false
		}
	}
}

// proc is a running subprocess: gnc or a tool it is tested against.
type proc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser // the write end of stdin, when the test holds it
	stdout *outBuf        // nil when procOpts.stdout was given
	stderr *outBuf
	done   chan struct{} // closed when the process has been waited for
	err    error         // from Wait, valid after done
}

// procOpts change how a subprocess is started.
type procOpts struct {
	stdin  io.Reader // nil: a pipe held in proc.stdin
	stdout io.Writer // nil: captured in proc.stdout
	env    []string  // added to the environment
	// timeout replaces testTimeout as the bound on the process's life.
	timeout time.Duration
}

// gnc starts the gnc binary with args, stdin a pipe the test holds.
func gnc(t testing.TB, args ...string) *proc {
	t.Helper()
	return startProc(t, procOpts{}, gncBin, args...)
}

// gncWith starts gnc with the given stdio.
func gncWith(t testing.TB, o procOpts, args ...string) *proc {
	t.Helper()
	return startProc(t, o, gncBin, args...)
}

// startProc starts path with args. It is killed when the test ends or
// testTimeout passes, and always waited for; a data race reported by a
// -race binary fails the test.
func startProc(t testing.TB, o procOpts, path string, args ...string) *proc {
	t.Helper()
	limit := testTimeout
	if o.timeout > 0 {
		limit = o.timeout
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(append(os.Environ(), raceEnv), o.env...)
	cmd.WaitDelay = 2 * time.Second
	p := &proc{t: t, name: shortName(path), cmd: cmd, stderr: newOutBuf(), done: make(chan struct{})}
	if o.stdin != nil {
		cmd.Stdin = o.stdin
	} else {
		w, err := cmd.StdinPipe()
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		p.stdin = w
	}
	if o.stdout != nil {
		cmd.Stdout = o.stdout
	} else {
		p.stdout = newOutBuf()
		cmd.Stdout = p.stdout
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", path, err)
	}
	go func() {
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race (args %q):\n%s", p.name, args, p.stderr.String())
		}
	})
	return p
}

func shortName(path string) string {
	if path == gncBin {
		return "gnc"
	}
	return path[strings.LastIndexByte(path, '/')+1:]
}

// dump describes the process's output for a failure message.
func (p *proc) dump() string {
	var b strings.Builder
	b.WriteString(p.name)
	b.WriteString(" ")
	b.WriteString(strings.Join(p.cmd.Args[1:], " "))
	if p.stdout != nil {
		b.WriteString("\n  stdout: ")
		b.WriteString(quoteCut(p.stdout.String()))
	}
	b.WriteString("\n  stderr: ")
	b.WriteString(quoteCut(p.stderr.String()))
	return b.String()
}

func quoteCut(s string) string {
	if len(s) > 2000 {
		s = s[:1000] + "…" + s[len(s)-1000:]
	}
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n          ")
}

func waitCtx(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), waitTimeout)
}

// waitStdout waits until stdout contains want and returns all of stdout.
func (p *proc) waitStdout(want string) string {
	p.t.Helper()
	ctx, cancel := waitCtx(p.t)
	defer cancel()
	s, ok := p.stdout.wait(ctx, func(s string) bool { return strings.Contains(s, want) })
	if !ok {
		p.t.Fatalf("waiting for %q on stdout of %s", want, p.dump())
	}
	return s
}

// waitStdoutLen waits until stdout holds at least n bytes.
func (p *proc) waitStdoutLen(n int) string {
	p.t.Helper()
	ctx, cancel := waitCtx(p.t)
	defer cancel()
	s, ok := p.stdout.wait(ctx, func(s string) bool { return len(s) >= n })
	if !ok {
		p.t.Fatalf("waiting for %d bytes on stdout of %s", n, p.dump())
	}
	return s
}

// waitStderr waits until stderr contains want and returns all of stderr.
func (p *proc) waitStderr(want string) string {
	p.t.Helper()
	return p.waitStderrCount(want, 1)
}

// waitStderrCount waits until want appears n times on stderr.
func (p *proc) waitStderrCount(want string, n int) string {
	p.t.Helper()
	ctx, cancel := waitCtx(p.t)
	defer cancel()
	s, ok := p.stderr.wait(ctx, func(s string) bool { return strings.Count(s, want) >= n })
	if !ok {
		p.t.Fatalf("waiting for %d× %q on stderr of %s", n, want, p.dump())
	}
	return s
}

// write sends s to the process's stdin.
func (p *proc) write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, s); err != nil {
		p.t.Fatalf("writing %q to stdin of %s: %v", s, p.dump(), err)
	}
}

// closeStdin ends the process's stdin (EOF).
func (p *proc) closeStdin() {
	p.t.Helper()
	if err := p.stdin.Close(); err != nil {
		p.t.Fatalf("closing stdin of %s: %v", p.name, err)
	}
}

// wait waits for the process to exit and returns its exit status, -1 when
// a signal killed it. It fails the test if the process is still running
// after waitTimeout.
func (p *proc) wait() int {
	p.t.Helper()
	return p.waitFor(waitTimeout)
}

// waitFor is wait with a bound other than waitTimeout.
func (p *proc) waitFor(d time.Duration) int {
	p.t.Helper()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.t.Fatalf("%s still running after %v:\n%s", p.name, d, p.dump())
	}
	return p.exitCode()
}

func (p *proc) exitCode() int {
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	p.t.Fatalf("%s: %v", p.name, p.err)
	return -2
}

// expectExit waits for the process and checks its exit status.
func (p *proc) expectExit(want int) {
	p.t.Helper()
	if got := p.wait(); got != want {
		p.t.Fatalf("%s exited %d, want %d\n%s", p.name, got, want, p.dump())
	}
}

// running reports whether the process has not exited yet.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// requireRunning fails the test if the process has exited.
func (p *proc) requireRunning(why string) {
	p.t.Helper()
	if !p.running() {
		p.t.Fatalf("%s exited (%v) but should still run: %s\n%s", p.name, p.err, why, p.dump())
	}
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && p.running() {
		p.t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// killedBy reports the signal that ended the process, or 0.
func (p *proc) killedBy() syscall.Signal {
	if p.cmd.ProcessState == nil {
		return 0
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0
	}
	return ws.Signal()
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// matchLines checks that text is exactly the given lines, each matching its
// regular expression in full.
func matchLines(t testing.TB, text string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	ok := len(lines) == len(patterns) && strings.HasSuffix(text, "\n")
	for i := 0; ok && i < len(lines); i++ {
		ok = regexp.MustCompile(`^(?:` + patterns[i] + `)$`).MatchString(lines[i])
	}
	if !ok {
		t.Errorf("got lines:\n\t%s\nwant lines matching:\n\t%s",
			strings.Join(lines, "\n\t"), strings.Join(patterns, "\n\t"))
	}
}
