package relay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/hexdump"
)

// stdinKinds are the three upstream data paths: a pollable pipe (spliced
// into the socket on Linux), a plain reader (io.Copy), and the user-space
// pump that byte-seeing options select (-i with a timeout that never fires).
var stdinKinds = []struct {
	name string
	pipe bool
	o    Options
}{
	{"pipe", true, Options{}},
	{"reader", false, Options{}},
	{"pump", true, Options{IdleTimeout: time.Hour}},
}

// newStdin returns stdin holding data, at EOF after it when eof is set.
func newStdin(t *testing.T, pipe bool, data string, eof bool) (io.Reader, *os.File) {
	t.Helper()
	if !pipe {
		if !eof {
			t.Fatal("a plain reader is always at EOF after its data")
		}
		return strings.NewReader(data), nil
	}
	r, w := stdinPipe(t)
	if data != "" {
		write(t, w, data)
	}
	if eof {
		w.Close()
	}
	return r, w
}

// At stdin EOF the peer sees EOF (half-close) while Run keeps reading; the
// peer's EOF then ends the session.
func TestRunStdinEOFHalfCloses(t *testing.T) {
	for _, fam := range loopbacks {
		for _, sk := range stdinKinds {
			t.Run(fam.name+"/"+sk.name, func(t *testing.T) {
				ctx := testCtx(t)
				ours, peer := tcpPair(t, fam.network, fam.addr)
				stdin, _ := newStdin(t, sk.pipe, "ping", true)
				stdout := newSyncBuffer()
				o := sk.o
				o.QuitAfterEOF = -1
				done := startRun(ctx, ours, stdin, stdout, o)

				if got := readN(t, peer, 4); got != "ping" {
					t.Fatalf("peer got %q", got)
				}
				expectEOF(t, peer) // the half-close
				write(t, peer, "pong")
				stdout.waitString(ctx, t, "pong")
				peer.Close()

				r := waitRun(ctx, t, done)
				if r.err != nil {
					t.Fatalf("Run: %v", r.err)
				}
				if want := (Stats{Sent: 4, Received: 4}); r.stats != want {
					t.Errorf("stats = %+v, want %+v", r.stats, want)
				}
			})
		}
	}
}

// closeWriteCounter is a TCP connection that counts CloseWrite calls.
type closeWriteCounter struct {
	*net.TCPConn
	n atomic.Int32
}

func (c *closeWriteCounter) CloseWrite() error {
	c.n.Add(1)
	return c.TCPConn.CloseWrite()
}

// eofSignal is a pollable stdin that closes eof when it has returned io.EOF.
type eofSignal struct {
	f   *os.File
	eof chan struct{}
}

func (s *eofSignal) Read(p []byte) (int, error) {
	n, err := s.f.Read(p)
	if err == io.EOF {
		close(s.eof)
	}
	return n, err
}

func (s *eofSignal) SetReadDeadline(t time.Time) error { return s.f.SetReadDeadline(t) }

// --no-shutdown: no half-close at stdin EOF, and the session goes on.
func TestRunNoShutdown(t *testing.T) {
	for _, tt := range []struct {
		noShutdown     bool
		wantCloseWrite int32
	}{
		{false, 1},
		{true, 0},
	} {
		name := "shutdown"
		if tt.noShutdown {
			name = "no-shutdown"
		}
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			conn := &closeWriteCounter{TCPConn: ours}
			r, _ := newStdin(t, true, "ping", true)
			stdin := &eofSignal{f: r.(*os.File), eof: make(chan struct{})}
			stdout := newSyncBuffer()
			done := startRun(ctx, conn, stdin, stdout, Options{NoShutdown: tt.noShutdown, QuitAfterEOF: -1})

			if got := readN(t, peer, 4); got != "ping" {
				t.Fatalf("peer got %q", got)
			}
			select {
			case <-stdin.eof:
			case <-ctx.Done():
				t.Fatal("stdin EOF not read")
			}
			write(t, peer, "pong") // the session goes on after stdin EOF
			stdout.waitString(ctx, t, "pong")
			peer.Close()
			res := waitRun(ctx, t, done)
			if res.err != nil {
				t.Fatalf("Run: %v", res.err)
			}
			if got := conn.n.Load(); got != tt.wantCloseWrite {
				t.Errorf("CloseWrite called %d times, want %d", got, tt.wantCloseWrite)
			}
		})
	}
}

// The zero Options half-close at stdin EOF and, as QuitAfterEOF 0 is -q 0,
// end the session there too: the peer sees the data and the half-close.
func TestRunZeroOptionsEndAtStdinEOF(t *testing.T) {
	ctx := testCtx(t)
	ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
	stdin, _ := newStdin(t, false, "ping", true)
	stdout := newSyncBuffer()
	done := startRun(ctx, ours, stdin, stdout, Options{})
	if got := readN(t, peer, 4); got != "ping" {
		t.Fatalf("peer got %q", got)
	}
	expectEOF(t, peer)
	r := waitRun(ctx, t, done)
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	if r.stats.Sent != 4 {
		t.Errorf("stats = %+v, want Sent 4", r.stats)
	}
}

// stdoutKinds are the downstream data paths: a plain writer (io.Copy), a
// pipe (spliced from the socket on Linux) and the user-space pump.
var stdoutKinds = []struct {
	name       string
	pipe, file bool
	blocking   bool // a pipe in blocking mode, as a shell gives stdout
	o          Options
}{
	{"buffer", false, false, false, Options{}},
	{"pipe", true, false, false, Options{}},
	{"blocking pipe", true, false, true, Options{}},
	{"file", false, true, false, Options{}},
	{"pump", false, false, false, Options{IdleTimeout: time.Hour}},
}

// stdoutPipe returns a pipe for stdout, pollable as os.Pipe makes it or in
// blocking mode, closed when the test ends.
func stdoutPipe(t testing.TB, blocking bool) (r, w *os.File) {
	t.Helper()
	if !blocking {
		return stdinPipe(t)
	}
	return blockingPipe(t)
}

// The peer's EOF ends the session once everything it sent is on stdout, even
// with a stdin pipe that stays open: the blocked stdin read is interrupted,
// no goroutine is left, and stdin is usable again afterwards.
func TestRunPeerEOFEndsSession(t *testing.T) {
	payload := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(payload)
	for _, fam := range loopbacks {
		for _, sk := range stdoutKinds {
			t.Run(fam.name+"/"+sk.name, func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				ctx := testCtx(t)
				ours, peer := tcpPair(t, fam.network, fam.addr)
				stdinR, stdinW := stdinPipe(t)

				var stdout io.Writer
				var buf *syncBuffer
				var pipeOut chan []byte
				var outW *os.File
				switch {
				case sk.file:
					f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					outW, stdout = f, f
				case sk.pipe:
					var outR *os.File
					outR, outW = stdoutPipe(t, sk.blocking)
					pipeOut = make(chan []byte, 1)
					go func() {
						b, _ := io.ReadAll(outR)
						pipeOut <- b
					}()
					stdout = outW
				default:
					buf = newSyncBuffer()
					stdout = buf
				}
				o := sk.o
				o.QuitAfterEOF = -1
				done := startRun(ctx, ours, stdinR, stdout, o)
				go func() {
					peer.Write(payload)
					peer.Close()
				}()
				r := waitRun(ctx, t, done)
				if r.err != nil {
					t.Fatalf("Run: %v", r.err)
				}
				if r.stats.Received != int64(len(payload)) || r.stats.Sent != 0 {
					t.Errorf("stats = %+v, want Received %d", r.stats, len(payload))
				}
				var got []byte
				switch {
				case sk.file:
					got, _ = os.ReadFile(outW.Name())
				case sk.pipe:
					outW.Close()
					select {
					case got = <-pipeOut:
					case <-ctx.Done():
						t.Fatal("stdout pipe reader stuck")
					}
				default:
					got = buf.Bytes()
				}
				if !bytes.Equal(got, payload) {
					t.Errorf("stdout has %d bytes, not the %d sent (or different)", len(got), len(payload))
				}

				// The read deadline that interrupted stdin is cleared.
				write(t, stdinW, "x")
				b := make([]byte, 1)
				if _, err := stdinR.Read(b); err != nil || b[0] != 'x' {
					t.Errorf("stdin after Run: %q, %v", b, err)
				}
			})
		}
	}
}

// Connect mode -k: the peer's EOF does not end the session; stdin still
// goes out until its own EOF.
func TestRunHoldAfterPeerEOF(t *testing.T) {
	for _, fam := range loopbacks {
		t.Run(fam.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, fam.network, fam.addr)
			stdin, stdinW := newStdin(t, true, "", false)
			stdout := newSyncBuffer()
			done := startRun(ctx, ours, stdin, stdout, Options{HoldAfterPeerEOF: true, QuitAfterEOF: -1})

			write(t, peer, "hi")
			peer.CloseWrite()
			stdout.waitString(ctx, t, "hi")
			write(t, stdinW, "more")
			if got := readN(t, peer, 4); got != "more" {
				t.Fatalf("peer got %q", got)
			}
			write(t, stdinW, "again")
			if got := readN(t, peer, 5); got != "again" {
				t.Fatalf("peer got %q", got)
			}
			stdinW.Close()
			expectEOF(t, peer)
			r := waitRun(ctx, t, done)
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			if want := (Stats{Sent: 9, Received: 2}); r.stats != want {
				t.Errorf("stats = %+v, want %+v", r.stats, want)
			}
		})
	}
}

// -q 0 (and UDP connect mode) end the session at stdin EOF whatever the
// peer does; the data read before is sent.
func TestRunEndsAtStdinEOF(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"-q 0", Options{QuitAfterEOF: 0}},
		{"stdin EOF ends", Options{StdinEOFEnds: true, QuitAfterEOF: -1}},
		{"send-only", Options{SendOnly: true, QuitAfterEOF: -1}},
	}
	for _, tt := range tests {
		for _, sk := range stdinKinds {
			t.Run(tt.name+"/"+sk.name, func(t *testing.T) {
				ctx := testCtx(t)
				ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
				stdin, _ := newStdin(t, sk.pipe, "bye", true)
				o := tt.o
				o.IdleTimeout = sk.o.IdleTimeout
				r := waitRun(ctx, t, startRun(ctx, ours, stdin, newSyncBuffer(), o))
				if r.err != nil {
					t.Fatalf("Run: %v", r.err)
				}
				if r.stats.Sent != 3 {
					t.Errorf("Sent = %d, want 3", r.stats.Sent)
				}
				if got := readN(t, peer, 3); got != "bye" {
					t.Fatalf("peer got %q", got)
				}
				expectEOF(t, peer)
			})
		}
	}
}

// --send-only never reads the connection; --recv-only never reads stdin
// nor sends.
func TestRunOneDirection(t *testing.T) {
	t.Run("send-only", func(t *testing.T) {
		ctx := testCtx(t)
		ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
		write(t, peer, "unread")
		stdin, stdinW := newStdin(t, true, "abc", false)
		stdout := newSyncBuffer()
		done := startRun(ctx, ours, stdin, stdout, Options{SendOnly: true, QuitAfterEOF: -1})
		if got := readN(t, peer, 3); got != "abc" {
			t.Fatalf("peer got %q", got)
		}
		stdinW.Close()
		r := waitRun(ctx, t, done)
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		if got := stdout.String(); got != "" {
			t.Errorf("stdout = %q, want nothing", got)
		}
		if r.stats != (Stats{Sent: 3}) {
			t.Errorf("stats = %+v", r.stats)
		}
	})
	t.Run("recv-only", func(t *testing.T) {
		ctx := testCtx(t)
		ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
		stdout := newSyncBuffer()
		done := startRun(ctx, ours, forbiddenReader{t}, stdout, Options{RecvOnly: true, QuitAfterEOF: -1})
		write(t, peer, "x")
		peer.CloseWrite()
		r := waitRun(ctx, t, done)
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		if got := stdout.String(); got != "x" {
			t.Errorf("stdout = %q, want %q", got, "x")
		}
		expectEOF(t, peer) // nothing was sent
		if r.stats != (Stats{Received: 1}) {
			t.Errorf("stats = %+v", r.stats)
		}
	})
}

// -C over a real connection: each step is one stdin read (the next is
// written only once the peer has the converted bytes), and received data is
// never translated.
func TestRunCRLF(t *testing.T) {
	tests := []struct {
		name  string
		steps [][2]string // stdin chunk, bytes the peer then receives
	}{
		{"ncat example", [][2]string{{"a\nb\r\nc\r", "a\r\nb\r\nc\r"}}},
		{"CR then LF", [][2]string{{"\r", "\r"}, {"\n", "\n"}}},
		{"LF then LF", [][2]string{{"a\n", "a\r\n"}, {"\nb", "\r\nb"}}},
		{"CR then text", [][2]string{{"x\r", "x\r"}, {"y\n", "y\r\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin, stdinW := newStdin(t, true, "", false)
			stdout := newSyncBuffer()
			done := startRun(ctx, ours, stdin, stdout, Options{CRLF: true, QuitAfterEOF: -1})
			var sent int64
			for _, st := range tt.steps {
				write(t, stdinW, st[0])
				if got := readN(t, peer, len(st[1])); got != st[1] {
					t.Fatalf("after stdin %q the peer got %q, want %q", st[0], got, st[1])
				}
				sent += int64(len(st[1]))
			}
			stdinW.Close()
			expectEOF(t, peer)
			write(t, peer, "r\nx\r\n")
			peer.Close()
			r := waitRun(ctx, t, done)
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			if got := stdout.String(); got != "r\nx\r\n" {
				t.Errorf("stdout = %q: received data must not be translated", got)
			}
			if r.stats.Sent != sent {
				t.Errorf("Sent = %d, want %d (bytes on the wire)", r.stats.Sent, sent)
			}
		})
	}
}

// A peer that resets the connection mid-transfer ends the session with a
// *PeerError wrapping ECONNRESET, after what it sent reached stdout.
func TestRunPeerReset(t *testing.T) {
	for _, fam := range loopbacks {
		for _, sk := range stdoutKinds {
			if sk.pipe || sk.file {
				continue
			}
			t.Run(fam.name+"/"+sk.name, func(t *testing.T) {
				ctx := testCtx(t)
				ours, peer := tcpPair(t, fam.network, fam.addr)
				stdin, _ := newStdin(t, true, "", false)
				stdout := newSyncBuffer()
				o := sk.o
				o.QuitAfterEOF = -1
				done := startRun(ctx, ours, stdin, stdout, o)
				write(t, peer, "data")
				stdout.waitString(ctx, t, "data")
				if err := peer.SetLinger(0); err != nil {
					t.Fatal(err)
				}
				peer.Close()
				r := waitRun(ctx, t, done)
				var pe *PeerError
				if !errors.As(r.err, &pe) {
					t.Fatalf("Run error = %v (%T), want a *PeerError", r.err, r.err)
				}
				if !errors.Is(r.err, syscall.ECONNRESET) {
					t.Errorf("Run error = %v, want ECONNRESET", r.err)
				}
				if pe.Error() != pe.Err.Error() {
					t.Errorf("PeerError text %q != wrapped %q", pe.Error(), pe.Err.Error())
				}
				if r.stats.Received != 4 {
					t.Errorf("Received = %d, want 4", r.stats.Received)
				}
			})
		}
	}
}

// Cancelling ctx ends the session with ctx's error and closes the
// connection, even with a stdin that stays open.
func TestRunContextCancel(t *testing.T) {
	for _, sk := range stdinKinds {
		if !sk.pipe {
			continue
		}
		t.Run(sk.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin, stdinW := newStdin(t, true, "", false)
			stdout := newSyncBuffer()
			runCtx, cancel := context.WithCancel(ctx)
			o := sk.o
			o.QuitAfterEOF = -1
			done := startRun(runCtx, ours, stdin, stdout, o)
			write(t, stdinW, "a")
			if got := readN(t, peer, 1); got != "a" {
				t.Fatalf("peer got %q", got)
			}
			cancel()
			r := waitRun(ctx, t, done)
			if !errors.Is(r.err, context.Canceled) {
				t.Fatalf("Run error = %v, want context.Canceled", r.err)
			}
			expectEOF(t, peer)
		})
	}
}

// -o logs the raw bytes and -x a hex dump per chunk, both directions in
// transfer order.
func TestRunLog(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"plain", Options{}},
		{"with -C", Options{CRLF: true}}, // no newline in the data: same bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := t.TempDir()
			rawPath, hexPath := filepath.Join(dir, "raw"), filepath.Join(dir, "hex")
			log, err := OpenLog(rawPath, hexPath, false)
			if err != nil {
				t.Fatal(err)
			}
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin, _ := newStdin(t, true, "hello", false)
			stdout := newSyncBuffer()
			o := tt.o
			o.Log = log
			o.QuitAfterEOF = -1
			done := startRun(ctx, ours, stdin, stdout, o)
			if got := readN(t, peer, 5); got != "hello" {
				t.Fatalf("peer got %q", got)
			}
			write(t, peer, "world, this is more than sixteen bytes")
			peer.Close()
			if r := waitRun(ctx, t, done); r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(rawPath)
			if want := "helloworld, this is more than sixteen bytes"; string(raw) != want {
				t.Errorf("-o file = %q, want %q", raw, want)
			}
			hex, _ := os.ReadFile(hexPath)
			want := hexdump.AppendChunk(nil, []byte("hello"))
			want = hexdump.AppendChunk(want, []byte("world, this is more than sixteen bytes"))
			if !bytes.Equal(hex, want) {
				t.Errorf("-x file =\n%s\nwant\n%s", hex, want)
			}
		})
	}
}

func TestOpenLog(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw")
	if l, err := OpenLog("", "", false); l != nil || err != nil {
		t.Fatalf("OpenLog with no files = %v, %v; want nil, nil", l, err)
	}
	var nilLog *Log
	nilLog.Record([]byte("x")) // a nil *Log logs nothing
	if err := nilLog.Close(); err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		appendMode   bool
		record, want string
	}{
		{false, "new", "new"},
		{true, "more", "newmore"}, // --append-output
		{false, "again", "again"}, // truncated
	} {
		l, err := OpenLog(raw, "", step.appendMode)
		if err != nil {
			t.Fatal(err)
		}
		l.Record([]byte(step.record))
		l.Close()
		got, _ := os.ReadFile(raw)
		if string(got) != step.want {
			t.Errorf("append=%v: file = %q, want %q", step.appendMode, got, step.want)
		}
	}
	fi, err := os.Stat(raw)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^0o664 != 0 {
		t.Errorf("log file mode %v is more than 0664", perm)
	}
	if _, err := OpenLog(raw, filepath.Join(dir, "no", "such", "dir"), false); err == nil {
		t.Error("OpenLog with an unwritable -x path succeeded")
	}
}

// udpPair returns a connected UDP socket (ours) and a peer bound on the
// same loopback, connected back to it.
func udpPair(t *testing.T, network, addr string) (ours, peer *net.UDPConn) {
	t.Helper()
	la, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	peer, err = net.ListenUDP(network, la)
	if err != nil {
		if network == "udp6" {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	ours, err = net.DialUDP(network, nil, peer.LocalAddr().(*net.UDPAddr))
	if err != nil {
		peer.Close()
		t.Fatal(err)
	}
	peer.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() {
		ours.Close()
		peer.Close()
	})
	return ours, peer
}

// Datagram mode keeps message boundaries both ways: each stdin read is one
// datagram, each datagram one stdout write, a 60000-byte one whole; stdin
// EOF ends a UDP connect session.
func TestRunDatagram(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 6000)
	for _, fam := range []struct{ name, network, addr string }{
		{"udp4", "udp4", "127.0.0.1:0"},
		{"udp6", "udp6", "[::1]:0"},
	} {
		t.Run(fam.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := udpPair(t, fam.network, fam.addr)
			stdin, stdinW := newStdin(t, true, "", false)
			stdout := newSyncBuffer()
			done := startRun(ctx, ours, stdin, stdout, Options{Datagram: true, StdinEOFEnds: true, QuitAfterEOF: -1})

			buf := make([]byte, 1<<16)
			for _, msg := range [][]byte{[]byte("one"), []byte("two!"), big, []byte("x")} {
				write(t, stdinW, string(msg))
				n, _, err := peer.ReadFrom(buf)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf[:n], msg) {
					t.Fatalf("peer datagram of %d bytes, want the %d-byte stdin write", n, len(msg))
				}
			}
			to := ours.LocalAddr()
			want := [][]byte{[]byte("a"), big, []byte("bc"), []byte("def")}
			total := 0
			for _, msg := range want {
				if _, err := peer.WriteTo(msg, to); err != nil {
					t.Fatal(err)
				}
				total += len(msg)
			}
			stdout.waitFor(ctx, t, "every datagram", func(b []byte) bool { return len(b) >= total })
			got := stdout.Chunks()
			if len(got) != len(want) {
				t.Fatalf("stdout had %d writes, want %d (one per datagram)", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("stdout write %d has %d bytes, want datagram of %d", i, len(got[i]), len(want[i]))
				}
			}
			stdinW.Close()
			r := waitRun(ctx, t, done)
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			if wantSent := int64(3 + 4 + len(big) + 1); r.stats.Sent != wantSent || r.stats.Received != int64(total) {
				t.Errorf("stats = %+v, want Sent %d Received %d", r.stats, wantSent, total)
			}
		})
	}
}

// -t answers the peer's negotiation on the connection and keeps Telnet
// commands off stdout.
func TestRunTelnet(t *testing.T) {
	ctx := testCtx(t)
	ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
	stdin, _ := newStdin(t, true, "", false)
	stdout := newSyncBuffer()
	done := startRun(ctx, ours, stdin, stdout, Options{Telnet: true, QuitAfterEOF: -1})
	write(t, peer, "\xff\xfd\x01\xff\xfb\x03hi\xff\xfd\x18\n")
	if got, want := readN(t, peer, 9), "\xff\xfc\x01\xff\xfe\x03\xff\xfc\x18"; got != want {
		t.Errorf("answers = %q, want %q", got, want)
	}
	stdout.waitString(ctx, t, "hi\n")
	peer.Close()
	if r := waitRun(ctx, t, done); r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
}

var errStdout = errors.New("stdout is gone")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errStdout }

// A failing stdout is not the peer failing: the error is stdout's and is not
// a *PeerError, whichever data path is taken.
func TestRunStdoutError(t *testing.T) {
	for _, sk := range stdoutKinds {
		if sk.pipe || sk.file {
			continue
		}
		t.Run(sk.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin, _ := newStdin(t, true, "", false)
			o := sk.o
			o.QuitAfterEOF = -1
			done := startRun(ctx, ours, stdin, failingWriter{}, o)
			write(t, peer, "x")
			r := waitRun(ctx, t, done)
			if !errors.Is(r.err, errStdout) {
				t.Fatalf("Run error = %v, want the stdout error", r.err)
			}
			var pe *PeerError
			if errors.As(r.err, &pe) {
				t.Errorf("a failing stdout is reported as *PeerError (%v)", r.err)
			}
		})
	}
}

func TestErrorTexts(t *testing.T) {
	if got, want := (&IdleError{Timeout: 1500 * time.Millisecond}).Error(), "Idle timeout expired (1500 ms)."; got != want {
		t.Errorf("IdleError = %q, want %q", got, want)
	}
	pe := &PeerError{Err: syscall.ECONNRESET}
	if !errors.Is(pe, syscall.ECONNRESET) || pe.Error() != syscall.ECONNRESET.Error() {
		t.Errorf("PeerError %q does not wrap ECONNRESET", pe)
	}
}

// The largest datagram of each family arrives whole on stdout: 65507 bytes
// over IPv4, 65527 over IPv6 (65535 less the UDP header; IPv6's length
// field does not count its own header).
func TestRunDatagramMaxSize(t *testing.T) {
	for _, tt := range []struct {
		network, addr string
		size          int
	}{
		{"udp4", "127.0.0.1:0", 65507},
		{"udp6", "[::1]:0", 65527},
	} {
		t.Run(tt.network, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := udpPair(t, tt.network, tt.addr)
			stdin, _ := newStdin(t, true, "", false)
			stdout := newSyncBuffer()
			runCtx, cancel := context.WithCancel(ctx)
			done := startRun(runCtx, ours, stdin, stdout, Options{Datagram: true, QuitAfterEOF: -1})
			defer func() {
				cancel()
				waitRun(ctx, t, done)
			}()
			msg := bytes.Repeat([]byte{'d'}, tt.size)
			if _, err := peer.WriteTo(msg, ours.LocalAddr()); err != nil {
				t.Skipf("cannot send a %d-byte datagram here: %v", tt.size, err)
			}
			if _, err := peer.WriteTo([]byte("end"), ours.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			stdout.waitFor(ctx, t, "both datagrams", func(b []byte) bool { return bytes.HasSuffix(b, []byte("end")) })
			chunks := stdout.Chunks()
			if len(chunks) != 2 || len(chunks[0]) != tt.size {
				var sizes []int
				for _, c := range chunks {
					sizes = append(sizes, len(c))
				}
				t.Errorf("stdout writes of %v bytes, want [%d 3]: the datagram was truncated", sizes, tt.size)
			}
		})
	}
}

// A regular file as stdin (sendfile on Linux) is sent whole, then the peer
// sees EOF.
func TestRunFileStdin(t *testing.T) {
	payload := make([]byte, 3<<20+17)
	rand.NewChaCha8([32]byte{2}).Read(payload)
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, fam := range loopbacks {
		t.Run(fam.name, func(t *testing.T) {
			ctx := testCtx(t)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ours, peer := tcpPair(t, fam.network, fam.addr)
			done := startRun(ctx, ours, f, newSyncBuffer(), Options{QuitAfterEOF: -1})
			got, err := io.ReadAll(peer) // to the half-close
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("peer got %d bytes (%v), want the file's %d", len(got), err, len(payload))
			}
			peer.Close()
			r := waitRun(ctx, t, done)
			if r.err != nil || r.stats.Sent != int64(len(payload)) {
				t.Fatalf("Run = %+v, %v", r.stats, r.err)
			}
		})
	}
}

// closeCounter is a stdout that counts Close calls and records the data
// written before the first.
type closeCounter struct {
	*syncBuffer
	closes atomic.Int32
}

func (c *closeCounter) Close() error { c.closes.Add(1); return nil }

// TestRunCloseStdoutAtPeerEOF: an exec child's stdin (the relay's stdout)
// is closed at the peer's EOF, while the child's output (the relay's
// stdin) still goes out; without the option stdout stays open.
func TestRunCloseStdoutAtPeerEOF(t *testing.T) {
	for _, closeIt := range []bool{true, false} {
		t.Run(strconv.FormatBool(closeIt), func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin, stdinW := newStdin(t, true, "", false)
			stdout := &closeCounter{syncBuffer: newSyncBuffer()}
			done := startRun(ctx, ours, stdin, stdout, Options{HoldAfterPeerEOF: true, QuitAfterEOF: 0, CloseStdoutAtPeerEOF: closeIt})
			write(t, peer, "in")
			peer.CloseWrite()
			stdout.waitString(ctx, t, "in")
			write(t, stdinW, "late output")
			if got := readN(t, peer, 11); got != "late output" {
				t.Fatalf("peer got %q", got)
			}
			stdinW.Close()
			expectEOF(t, peer)
			if r := waitRun(ctx, t, done); r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			want := int32(0)
			if closeIt {
				want = 1
			}
			if n := stdout.closes.Load(); n != want {
				t.Errorf("stdout closed %d times, want %d", n, want)
			}
		})
	}
}
