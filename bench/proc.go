//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A session is one measured run: the tool processes and Go goroutines it
// started. The first error, or the timeout, stops all of them.
type session struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timeout time.Duration
	stop    context.CancelFunc // releases the timeout
	wg      sync.WaitGroup
	procs   []*proc
	closers []io.Closer // our ends of pipes and listeners
}

func newSession(parent context.Context, timeout time.Duration) *session {
	s := &session{timeout: timeout}
	ctx, stop := context.WithTimeout(parent, timeout)
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	s.stop = stop
	return s
}

// goPart runs f in a goroutine owned by s; an error from f stops s.
func (s *session) goPart(f func(ctx context.Context) error) {
	s.wg.Go(func() {
		if err := f(s.ctx); err != nil {
			s.cancel(err)
		}
	})
}

// startServer starts t with the arguments args gives for a free port,
// stdin an idle pipe and stdout /dev/null, as every listening row runs its
// tool; the caller waits for it to listen.
func (s *session) startServer(t *tool, args func(port int) []string) (*proc, int, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	stdin, err := s.idleStdin()
	if err != nil {
		return nil, 0, err
	}
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stdin.Close()
		return nil, 0, err
	}
	p, err := s.start(t, args(port), stdin, stdout)
	return p, port, err
}

// start runs t with args. stdin and stdout are handed to the child: start
// closes them whether or not the child starts.
func (s *session) start(t *tool, args []string, stdin, stdout *os.File) (*proc, error) {
	defer stdin.Close()
	defer stdout.Close()
	p := &proc{name: t.name}
	p.cmd = exec.CommandContext(s.ctx, t.path, args...)
	p.cmd.Env = t.environ()
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = stdin, stdout, &p.stderr
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	s.goPart(func(context.Context) error { return p.wait() })
	return p, nil
}

// wait waits for everything s started and returns the first error.
func (s *session) wait() error {
	s.wg.Wait()
	err := context.Cause(s.ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no result within %v", s.timeout)
	}
	for _, p := range s.procs {
		if msg := tail(p.stderr.String()); msg != "" {
			err = fmt.Errorf("%w; %s said%s", err, p.name, msg)
		}
	}
	return err
}

// failed stops s after err and returns the first error with what the tools
// said.
func (s *session) failed(err error) error {
	s.cancel(err)
	return s.wait()
}

// close stops whatever still runs, waits for it and releases resources.
func (s *session) close() {
	s.cancel(errors.New("session closed"))
	s.wg.Wait()
	for _, c := range s.closers {
		c.Close()
	}
	s.stop()
}

// cpu is the CPU time of the tool processes that have exited.
func (s *session) cpu() time.Duration {
	var d time.Duration
	for _, p := range s.procs {
		if st := p.cmd.ProcessState; st != nil {
			d += st.UserTime() + st.SystemTime()
		}
	}
	return d
}

// idleStdin returns a pipe that stays open and empty until s ends, like a
// terminal nobody types into, so no tool sees stdin EOF.
func (s *session) idleStdin() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, w)
	return r, nil
}

// output returns the file a receiving tool writes to: /dev/null, or a pipe
// drained by a goroutine that checks it gets size bytes.
func (s *session) output(dst sink, size int64) (*os.File, error) {
	if dst == toNull {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, r)
	s.goPart(func(ctx context.Context) error { return drain(ctx, r, size) })
	return w, nil
}

// input returns the file a sending tool reads: the source file, or a pipe
// that a goroutine fills with size bytes and then closes.
func (s *session) input(src source, path string, size int64) (*os.File, error) {
	if src == fromFile {
		return os.Open(path)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, w)
	s.goPart(func(ctx context.Context) error { return fill(ctx, w, size) })
	return r, nil
}

// A proc is a started tool process.
type proc struct {
	name     string
	cmd      *exec.Cmd
	stderr   bytes.Buffer
	stopping atomic.Bool
}

// wait waits for p to exit. Exiting after stop is not a failure.
func (p *proc) wait() error {
	err := p.cmd.Wait()
	if err == nil || p.stopping.Load() {
		return nil
	}
	return fmt.Errorf("%s: %w", p.name, err)
}

// stop asks p to exit with SIGTERM, and kills it if it is still there a
// second later.
func (p *proc) stop() {
	p.stopping.Store(true)
	p.cmd.Process.Signal(syscall.SIGTERM)
	time.AfterFunc(time.Second, func() { p.cmd.Process.Kill() })
}

// tail returns the last line of a tool's stderr as ": line", or "".
func tail(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return ": " + last
	}
	return ""
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListen polls /proc/net/tcp until a socket listens on 127.0.0.1:port,
// for at most five seconds. It only looks: a test connection would be the
// one client of a single-connection listener.
func waitListen(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	local := fmt.Sprintf("0100007F:%04X", port) // little-endian address, as on amd64 and arm64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if listening(local) {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on %s:%d: %w", loopback, port, context.Cause(ctx))
		}
	}
}

// listening reports whether /proc/net/tcp has a LISTEN socket at local.
func listening(local string) bool {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 3 && fields[1] == local && fields[3] == "0A" {
			return true
		}
	}
	return false
}
