package tlsx

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// countingConn counts the writes that reach the socket.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// defaultConfigs are a listener's and a client's configs with no options.
func defaultConfigs(t *testing.T) (*Server, *Client) {
	t.Helper()
	srv, err := NewServer(Options{}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(Options{}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return srv, cl
}

// securePair returns a handshaken client Conn over a counting socket and
// the server's end.
func securePair(t *testing.T) (*Conn, *countingConn, *tls.Conn) {
	t.Helper()
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	srv, cl := defaultConfigs(t)
	accepted := make(chan *tls.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		tc := tls.Server(c, srv.Config)
		if Handshake(t.Context(), tc, 10*time.Second) != nil {
			tc.Close()
			tc = nil
		}
		accepted <- tc
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingConn{Conn: raw}
	c := Secure(counted, cl.Config)
	if err := Handshake(t.Context(), c.Conn, 10*time.Second); err != nil {
		c.Close()
		t.Fatal(err)
	}
	server := <-accepted
	if server == nil {
		c.Close()
		t.Fatal("server handshake failed")
	}
	t.Cleanup(func() { c.Close(); server.Close() })
	return c, counted, server
}

// One Write of many records reaches the socket as one write, and the peer
// reads exactly what was written, Write after Write.
func TestBatchOneSocketWritePerWrite(t *testing.T) {
	c, counted, server := securePair(t)
	var want bytes.Buffer
	for i, size := range []int{1, 16 << 10, 100 << 10, 300 << 10} {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, size)
		want.Write(chunk)
		before := counted.count()
		done := make(chan error, 1)
		go func() { // a chunk larger than the socket buffers needs a reader
			_, err := c.Write(chunk)
			done <- err
		}()
		got := make([]byte, size)
		if _, err := io.ReadFull(server, got); err != nil {
			t.Fatalf("reading chunk %d: %v", i, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Write of %d bytes: %v", size, err)
		}
		if !bytes.Equal(got, chunk) {
			t.Fatalf("chunk %d of %d bytes arrived changed", i, size)
		}
		if n := counted.count() - before; n != 1 {
			t.Errorf("Write of %d bytes made %d socket writes, want 1", size, n)
		}
	}
}

// Writes outside a Write (close_notify here) pass straight through, and
// the peer sees them as EOF.
func TestBatchPassesAlertsThrough(t *testing.T) {
	c, counted, server := securePair(t)
	before := counted.count()
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if counted.count() == before {
		t.Error("close_notify did not reach the socket")
	}
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := server.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("server read after close_notify: %d, %v; want 0, EOF", n, err)
	}
}

// A Write whose socket write fails reports the failure.
func TestBatchWriteError(t *testing.T) {
	c, counted, _ := securePair(t)
	counted.Conn.Close()
	if n, err := c.Write([]byte("lost")); err == nil || n != 0 {
		t.Errorf("Write on a closed socket: %d, %v; want 0 and an error", n, err)
	}
}

// Writes from two goroutines, each one Write at a time, arrive whole and
// in one of the orders they could have been made in.
func TestBatchConcurrentWrites(t *testing.T) {
	c, _, server := securePair(t)
	const writes, size = 50, 20 << 10
	var wg sync.WaitGroup
	for _, b := range []byte{'x', 'y'} {
		wg.Go(func() {
			chunk := bytes.Repeat([]byte{b}, size)
			for range writes {
				if _, err := c.Write(chunk); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := make([]byte, 2*writes*size)
	if _, err := io.ReadFull(server, got); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for off := 0; off < len(got); off += size {
		if n := bytes.Count(got[off:off+size], got[off:off+1]); n != size {
			t.Fatalf("chunk at %d is mixed: %d of %d bytes are %q", off, n, size, got[off])
		}
	}
}

// Close breaks a Write that is stuck sending to a peer that never reads,
// at once (crypto/tls's close_notify would wait for it).
func TestBatchCloseBreaksStuckWrite(t *testing.T) {
	c, _, _ := securePair(t)
	done := make(chan error, 1)
	go func() {
		chunk := make([]byte, 1<<20)
		for {
			if _, err := c.Write(chunk); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the socket buffers fill
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close breaking a Write: %v, want nil as crypto/tls", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close waited behind a stuck Write")
	}
	if err := <-done; err == nil {
		t.Error("the stuck Write ended without an error")
	}
}

// A Write whose socket write failed part-way (a write deadline) leaves the
// record stream broken: later Writes fail too, as with crypto/tls alone,
// instead of sending records the peer cannot decrypt.
func TestBatchFailedFlushIsPermanent(t *testing.T) {
	c, _, _ := securePair(t)
	c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write(make([]byte, 16<<20)); err == nil {
		t.Fatal("a 16 MiB Write to a peer that does not read met its deadline")
	}
	c.SetWriteDeadline(time.Time{})
	for _, size := range []int{5, 64 << 10} {
		if n, err := c.Write(make([]byte, size)); err == nil {
			t.Errorf("Write of %d bytes after a failed one: %d, nil; want an error", size, n)
		}
	}
}

// A large Write before the handshake runs the handshake first rather than
// holding its records back (and hanging).
func TestBatchWriteBeforeHandshake(t *testing.T) {
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	srv, cl := defaultConfigs(t)
	const size = 64 << 10
	got := make(chan int, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		tc := tls.Server(c, srv.Config)
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		n, _ := io.ReadFull(tc, make([]byte, size))
		got <- n
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := Secure(raw, cl.Config)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatalf("Write before the handshake: %v", err)
	}
	if n := <-got; n != size {
		t.Errorf("server read %d bytes, want %d", n, size)
	}
}
