package relay

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

const spliceTotal = 64 << 20

// feedPipe writes total pseudo-random bytes into w in bursts of 1..maxBurst
// bytes, calling pause after each, then closes w. It returns the SHA-256 of
// what it wrote, or the write error.
func feedPipe(w *os.File, seed byte, total, maxBurst int, pause func()) <-chan [32]byte {
	out := make(chan [32]byte, 1)
	go func() {
		defer close(out)
		defer w.Close()
		src := rand.NewChaCha8([32]byte{seed})
		sizes := rand.New(rand.NewPCG(uint64(seed), 1))
		h := sha256.New()
		buf := make([]byte, maxBurst)
		for left := total; left > 0; {
			n := min(1+sizes.IntN(maxBurst), left)
			src.Read(buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			h.Write(buf[:n])
			left -= n
			if pause != nil {
				pause()
			}
		}
		var sum [32]byte
		h.Sum(sum[:0])
		out <- sum
	}()
	return out
}

type drained struct {
	sum [32]byte
	n   int64
	err error
}

// drainConn reads c to EOF in reads of readSize, calling pause after each,
// and returns the count and SHA-256 of what it read.
func drainConn(c net.Conn, readSize int, pause func(n int64)) <-chan drained {
	out := make(chan drained, 1)
	go func() {
		h := sha256.New()
		buf := make([]byte, readSize)
		var d drained
		for {
			n, err := c.Read(buf)
			h.Write(buf[:n])
			d.n += int64(n)
			if err != nil {
				if err != io.EOF {
					d.err = err
				}
				break
			}
			if pause != nil {
				pause(d.n)
			}
		}
		h.Sum(d.sum[:0])
		out <- d
	}()
	return out
}

// A pipe stdin goes to a TCP connection by splice: 64 MiB arrive intact
// (same SHA-256) when the receiver keeps up, when it is slow (the socket
// fills and splice says EAGAIN), and when stdin comes in small bursts with
// pauses (the pipe runs empty); then the peer sees EOF (half-close).
func TestSpliceStdinToTCP(t *testing.T) {
	tests := []struct {
		name      string
		maxBurst  int
		feedPause func()
		readSize  int
		readPause func(n int64)
		smallBufs bool
	}{
		{name: "fast", maxBurst: 1 << 20, readSize: 1 << 20},
		{
			name: "slow receiver", maxBurst: 1 << 20, readSize: 16 << 10, smallBufs: true,
			readPause: func(n int64) {
				if n%(1<<20) < 16<<10 { // about once per MiB
					time.Sleep(2 * time.Millisecond)
				}
			},
		},
		{
			name: "bursts with pauses", maxBurst: 48 << 10, readSize: 256 << 10,
			feedPause: func() { time.Sleep(50 * time.Microsecond) },
		},
	}
	for _, fam := range loopbacks {
		for i, tt := range tests {
			t.Run(fam.name+"/"+tt.name, func(t *testing.T) {
				ctx := testCtx(t)
				ours, peer := tcpPair(t, fam.network, fam.addr)
				if tt.smallBufs {
					ours.SetWriteBuffer(16 << 10)
					peer.SetReadBuffer(16 << 10)
				}
				stdin, stdinW := stdinPipe(t)
				fed := feedPipe(stdinW, byte(i+1), spliceTotal, tt.maxBurst, tt.feedPause)
				got := drainConn(peer, tt.readSize, tt.readPause)
				done := startRun(ctx, ours, stdin, io.Discard, Options{QuitAfterEOF: -1})

				var d drained
				select {
				case d = <-got: // returns at EOF: the half-close
				case <-ctx.Done():
					t.Fatal("peer never saw EOF")
				}
				want, ok := <-fed
				if !ok {
					t.Fatal("writing stdin failed")
				}
				if d.err != nil {
					t.Fatalf("peer read: %v", d.err)
				}
				if d.n != spliceTotal || d.sum != want {
					t.Fatalf("peer got %d bytes (sha256 %x), want %d (sha256 %x)", d.n, d.sum[:8], spliceTotal, want[:8])
				}
				peer.Close()
				r := waitRun(ctx, t, done)
				if r.err != nil {
					t.Fatalf("Run: %v", r.err)
				}
				if r.stats.Sent != spliceTotal {
					t.Errorf("Sent = %d, want %d", r.stats.Sent, spliceTotal)
				}
			})
		}
	}
}

// copyStdin takes the splice path for a pipe and a TCP or stream Unix
// connection, and counts what it moved.
func TestCopyStdinSplice(t *testing.T) {
	dir, err := os.MkdirTemp("", "gnc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	conns := []struct {
		name string
		pair func(t *testing.T) (net.Conn, net.Conn)
	}{
		{"tcp4", func(t *testing.T) (net.Conn, net.Conn) { return tcpPair(t, "tcp4", "127.0.0.1:0") }},
		{"unix", func(t *testing.T) (net.Conn, net.Conn) { return unixPair(t, dir+"/s") }},
	}
	for _, c := range conns {
		t.Run(c.name, func(t *testing.T) {
			ours, peer := c.pair(t)
			stdin, stdinW := stdinPipe(t)
			const total = 8 << 20
			fed := feedPipe(stdinW, 9, total, 200<<10, nil)
			got := drainConn(peer, 64<<10, nil)
			n, err := copyStdin(ours, stdin, nil)
			if err != nil || n != total {
				t.Fatalf("copyStdin = %d, %v; want %d, nil", n, err, total)
			}
			ours.(interface{ CloseWrite() error }).CloseWrite()
			d := <-got
			if want := <-fed; d.n != total || d.sum != want || d.err != nil {
				t.Fatalf("peer got %d bytes, %v; want %d intact", d.n, d.err, total)
			}
		})
	}
}

func unixPair(t *testing.T, path string) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	p := <-accepted
	if p == nil {
		t.Fatal("accept failed")
	}
	p.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() {
		c.Close()
		p.Close()
	})
	return c, p
}

// A peer that resets the connection while the splice is sending ends the
// session with a *PeerError (the send sees EPIPE or ECONNRESET, the read
// ECONNRESET), and Run does not hang on the stdin pipe.
func TestSpliceStdinPeerReset(t *testing.T) {
	ctx := testCtx(t)
	ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
	stdin, stdinW := stdinPipe(t)
	fed := feedPipe(stdinW, 3, 1<<30, 1<<20, nil) // far more than will be read
	done := startRun(ctx, ours, stdin, io.Discard, Options{QuitAfterEOF: -1})
	readN(t, peer, 1<<20)
	peer.SetLinger(0)
	peer.Close()
	r := waitRun(ctx, t, done)
	stdin.Close() // the feeder's next write fails
	<-fed
	if r.err == nil {
		// The socket's pending error is reported once: when the splice
		// (upstream) takes the ECONNRESET, the downstream read sees a plain
		// EOF, reaches wait first, and the session ends as if the peer had
		// closed normally; end() drops the upstream's error.
		t.Fatal("a reset seen by the sending side was lost when the receiving side reported EOF first: Run returned nil, want *PeerError (ECONNRESET/EPIPE)")
	}
	var pe *PeerError
	if !errors.As(r.err, &pe) || !(errors.Is(r.err, syscall.ECONNRESET) || errors.Is(r.err, syscall.EPIPE)) {
		t.Fatalf("Run error = %v (%T), want a *PeerError with ECONNRESET or EPIPE", r.err, r.err)
	}
}

// Data that is already in the pipe, with the writer gone, is all sent.
func TestSpliceStdinBufferedThenEOF(t *testing.T) {
	ctx := testCtx(t)
	ours, peer := tcpPair(t, "tcp6", "[::1]:0")
	stdin, stdinW := stdinPipe(t)
	data := bytes.Repeat([]byte("z"), 60000)
	write(t, stdinW, string(data))
	stdinW.Close()
	done := startRun(ctx, ours, stdin, io.Discard, Options{QuitAfterEOF: -1})
	got, err := io.ReadAll(peer)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("peer got %d bytes, %v", len(got), err)
	}
	peer.Close()
	if r := waitRun(ctx, t, done); r.err != nil || r.stats.Sent != int64(len(data)) {
		t.Fatalf("Run = %+v, %v", r.stats, r.err)
	}
}

// A TCP connection to a pipe stdout (spliced on Linux) carries 64 MiB
// intact, with the pipe in blocking mode (a shell's) or pollable, when the
// reader keeps up, when it is slow (the pipe fills), and when the peer
// sends in bursts with pauses (the socket runs empty).
func TestSpliceConnToStdout(t *testing.T) {
	tests := []struct {
		name      string
		blocking  bool
		maxBurst  int
		feedPause func()
		readPause func(n int64)
	}{
		{name: "blocking/fast", blocking: true, maxBurst: 1 << 20},
		{name: "blocking/slow reader", blocking: true, maxBurst: 1 << 20, readPause: everyMiB},
		{name: "blocking/bursts", blocking: true, maxBurst: 48 << 10, feedPause: func() { time.Sleep(50 * time.Microsecond) }},
		{name: "pollable/slow reader", maxBurst: 1 << 20, readPause: everyMiB},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			outR, outW := stdoutPipe(t, tt.blocking)
			got := drainFile(outR, 64<<10, tt.readPause)
			stdin, _ := stdinPipe(t) // stays open
			done := startRun(ctx, ours, stdin, outW, Options{QuitAfterEOF: -1})
			src, srcW := stdinPipe(t)
			fed := feedPipe(srcW, byte(20+i), spliceTotal, tt.maxBurst, tt.feedPause)
			go func() {
				io.Copy(peer, src)
				peer.CloseWrite()
			}()
			r := waitRun(ctx, t, done)
			if r.err != nil {
				t.Fatalf("Run: %v", r.err)
			}
			outW.Close()
			d := <-got
			want := <-fed
			if d.err != nil || d.n != spliceTotal || d.sum != want {
				t.Fatalf("stdout got %d bytes (%v, sha256 %x), want %d (sha256 %x)", d.n, d.err, d.sum[:8], spliceTotal, want[:8])
			}
			if r.stats.Received != spliceTotal {
				t.Errorf("Received = %d, want %d", r.stats.Received, spliceTotal)
			}
		})
	}
}

func everyMiB(n int64) {
	if n%(1<<20) < 64<<10 {
		time.Sleep(2 * time.Millisecond)
	}
}

// drainFile is drainConn for a pipe's read end.
func drainFile(f *os.File, readSize int, pause func(n int64)) <-chan drained {
	out := make(chan drained, 1)
	go func() {
		h := sha256.New()
		buf := make([]byte, readSize)
		var d drained
		for {
			n, err := f.Read(buf)
			h.Write(buf[:n])
			d.n += int64(n)
			if err != nil {
				if err != io.EOF {
					d.err = err
				}
				break
			}
			if pause != nil {
				pause(d.n)
			}
		}
		h.Sum(d.sum[:0])
		out <- d
	}()
	return out
}

// blockingPipe returns a pipe in blocking mode, closed when the test ends.
func blockingPipe(t testing.TB) (r, w *os.File) {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(fds[0]), "pipe-r"), os.NewFile(uintptr(fds[1]), "pipe-w")
	t.Cleanup(func() {
		r.Close()
		w.Close()
	})
	return r, w
}
