package relay

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every real wait of a test; it is a safety net against
// hangs, never a performance threshold.
const testTimeout = 30 * time.Second

// testCtx is t.Context() bounded by testTimeout.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// loopbacks are the two loopback families data-path tests run over.
var loopbacks = []struct{ name, network, addr string }{
	{"tcp4", "tcp4", "127.0.0.1:0"},
	{"tcp6", "tcp6", "[::1]:0"},
}

// tcpPair returns the two ends of a loopback TCP connection: ours (given to
// the code under test) and the peer's, whose I/O is bounded by a deadline.
func tcpPair(t testing.TB, network, addr string) (ours, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		if network == "tcp6" {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p := <-accepted
	if p == nil {
		c.Close()
		t.Fatal("accept failed")
	}
	ours, peer = c.(*net.TCPConn), p.(*net.TCPConn)
	peer.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() {
		ours.Close()
		peer.Close()
	})
	return ours, peer
}

// stdinPipe returns an os.Pipe, pollable as gnc makes its stdin, closed
// when the test ends.
func stdinPipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		w.Close()
	})
	return r, w
}

// syncBuffer is a stdout that records every Write as one chunk, lets tests
// wait for content, and notices overlapping Write calls.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	chunks  [][]byte
	changed chan struct{} // closed and replaced at each Write

	inWrite atomic.Bool
	overlap atomic.Bool
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	if s.inWrite.CompareAndSwap(false, true) {
		defer s.inWrite.Store(false)
	} else {
		s.overlap.Store(true)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	s.chunks = append(s.chunks, bytes.Clone(p))
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf.Bytes())
}

func (s *syncBuffer) Chunks() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.chunks...)
}

// waitFor waits until cond holds for the content, or ctx ends (then the
// test fails).
func (s *syncBuffer) waitFor(ctx context.Context, t testing.TB, what string, cond func([]byte) bool) {
	t.Helper()
	for {
		s.mu.Lock()
		ok, ch := cond(s.buf.Bytes()), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for stdout to have %s: %v; it has %q", what, ctx.Err(), truncate(s.Bytes()))
		}
	}
}

// waitString waits until stdout is exactly want (or longer, which fails).
func (s *syncBuffer) waitString(ctx context.Context, t testing.TB, want string) {
	t.Helper()
	s.waitFor(ctx, t, "at least "+quoteShort(want), func(b []byte) bool { return len(b) >= len(want) })
	if got := s.String(); got != want {
		t.Fatalf("stdout = %q, want %q", truncate([]byte(got)), quoteShort(want))
	}
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:200:200], "..."...)
	}
	return b
}

func quoteShort(s string) string { return string(truncate([]byte(s))) }

type runResult struct {
	stats Stats
	err   error
}

// startRun runs Run in a goroutine; waitRun collects its result.
func startRun(ctx context.Context, conn net.Conn, stdin io.Reader, stdout io.Writer, o Options) <-chan runResult {
	ch := make(chan runResult, 1)
	go func() {
		st, err := Run(ctx, conn, stdin, stdout, o)
		ch <- runResult{st, err}
	}()
	return ch
}

func waitRun(ctx context.Context, t testing.TB, ch <-chan runResult) runResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatalf("Run did not return: %v", ctx.Err())
		return runResult{}
	}
}

// readN reads exactly n bytes from c.
func readN(t testing.TB, c io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading %d bytes: %v (got %q)", n, err, b)
	}
	return string(b)
}

// expectEOF reads from c and fails unless it is at EOF.
func expectEOF(t testing.TB, c io.Reader) {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 0 {
		t.Fatalf("expected EOF, got %q, %v", b, err)
	}
}

func write(t testing.TB, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

// forbiddenReader is a stdin whose Read fails the test: for options that
// must never read stdin.
type forbiddenReader struct{ t testing.TB }

func (r forbiddenReader) Read([]byte) (int, error) {
	r.t.Error("stdin was read")
	return 0, io.EOF
}
