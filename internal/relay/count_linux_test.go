package relay

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gnc/internal/conntrack"
)

// sockQueue reads a socket's SIOCINQ or SIOCOUTQ.
func sockQueue(t *testing.T, c syscall.Conn, req uint) int64 {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	raw.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), req) })
	if err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

// TestCountLiveUpstream checks the table's count while stdin → connection
// is stalled mid-transfer on both zero-copy paths (sendfile from a file,
// with the kernel's counters; splice from a pipe, counted per call): the
// peer reads some bytes and stops, and the count must then be what left
// gnc (read by the peer, or in the two sockets' queues), less at most one
// piece. A count made only when the copy returns would stay at 0 and never
// satisfy it.
func TestCountLiveUpstream(t *testing.T) {
	const total = 64 << 20
	const readFirst = 4 << 20
	sources := []struct {
		name  string
		stdin func(t *testing.T) *os.File
	}{
		{"sendfile", func(t *testing.T) *os.File {
			f, err := os.CreateTemp(t.TempDir(), "stdin")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(total); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}},
		{"splice", func(t *testing.T) *os.File {
			r, w := stdinPipe(t)
			feedPipe(w, 3, total, 256<<10, nil)
			return r
		}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
			stdin := src.stdin(t)
			reg := conntrack.New()
			track := reg.TrackConn(ours)
			done := make(chan error, 1)
			go func() {
				_, err := copyStdin(ours, stdin, track)
				done <- err
			}()
			if _, err := io.CopyN(io.Discard, peer, readFirst); err != nil {
				t.Fatal(err)
			}
			for {
				_, c := reg.Bytes()
				left := readFirst + sockQueue(t, peer, unix.SIOCINQ) + sockQueue(t, ours, unix.SIOCOUTQ)
				if c <= left && left-c < conntrack.CopyChunk && c > 0 {
					if c >= total {
						t.Fatalf("counted %d: the transfer did not stall", c)
					}
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("count %d never matched the %d bytes that left gnc (less one piece)", c, left)
				}
				time.Sleep(time.Millisecond)
			}
			ours.Close() // ends the stalled copy
			<-done
		})
	}
}

// TestCountLiveDownstream checks the table's count of connection → stdout
// before the peer's EOF: a file stdout (io.Copy's splice, whole over TCP
// with the kernel's counters, in pieces over a Unix socket) and a pipe
// stdout (gnc's splice) count every byte of a whole number of pieces while
// the connection is still open, and the same at the end.
func TestCountLiveDownstream(t *testing.T) {
	const sent = 3 * conntrack.CopyChunk
	sinks := []struct {
		name   string
		stdout func(t *testing.T) *os.File
	}{
		{"file", func(t *testing.T) *os.File {
			f, err := os.CreateTemp(t.TempDir(), "stdout")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}},
		{"pipe", func(t *testing.T) *os.File {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, r) // ends when w closes
			t.Cleanup(func() { w.Close(); r.Close() })
			return w
		}},
	}
	pairs := []struct {
		name string
		pair func(t *testing.T) (net.Conn, net.Conn)
	}{
		{"tcp", func(t *testing.T) (net.Conn, net.Conn) { return tcpPair(t, "tcp4", "127.0.0.1:0") }},
		{"unix", func(t *testing.T) (net.Conn, net.Conn) { return unixPair(t, t.TempDir()+"/s") }},
	}
	for _, pr := range pairs {
		for _, sink := range sinks {
			t.Run(pr.name+"/"+sink.name, func(t *testing.T) {
				ctx := testCtx(t)
				ours, peer := pr.pair(t)
				stdout := sink.stdout(t)
				reg := conntrack.New()
				track := reg.TrackConn(ours)
				counted := func() int64 { in, _ := reg.Bytes(); return in }
				done := make(chan error, 1)
				go func() {
					_, err := copyToStdout(stdout, ours, track)
					done <- err
				}()
				if _, err := peer.Write(make([]byte, sent)); err != nil {
					t.Fatal(err)
				}
				for counted() != sent {
					if ctx.Err() != nil {
						t.Fatalf("counted %d of %d sent bytes before EOF", counted(), sent)
					}
					time.Sleep(time.Millisecond)
				}
				peer.Close()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if counted() != sent {
					t.Errorf("counted %d at EOF, want %d", counted(), sent)
				}
			})
		}
	}
}
