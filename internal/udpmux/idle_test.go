package udpmux

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"gnc/internal/relay"
)

// fakeAddr is a peer address of the fake socket.
type fakeAddr string

func (a fakeAddr) Network() string { return "udp" }
func (a fakeAddr) String() string  { return string(a) }

type datagram struct {
	data []byte
	from net.Addr
}

// fakePacketConn is a datagram socket for synctest bubbles: tests deliver
// datagrams with deliver, and what is sent to each address is recorded.
type fakePacketConn struct {
	in     chan datagram
	closed chan struct{}
	once   sync.Once

	mu   sync.Mutex
	sent map[string][][]byte
}

func newFakePacketConn() *fakePacketConn {
	return &fakePacketConn{in: make(chan datagram), closed: make(chan struct{}), sent: map[string][][]byte{}}
}

func (c *fakePacketConn) deliver(from string, data string) {
	c.in <- datagram{[]byte(data), fakeAddr(from)}
}

func (c *fakePacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(p, d.data), d.from, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *fakePacketConn) WriteTo(p []byte, a net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[a.String()] = append(c.sent[a.String()], bytes.Clone(p))
	return len(p), nil
}

func (c *fakePacketConn) sentTo(a string) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[a]
}

func (c *fakePacketConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fakePacketConn) LocalAddr() net.Addr              { return fakeAddr("local") }
func (c *fakePacketConn) SetDeadline(time.Time) error      { return nil }
func (c *fakePacketConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakePacketConn) SetWriteDeadline(time.Time) error { return nil }

// A peer that sends nothing for the idle timeout is forgotten (and is new
// again if it comes back); one that keeps sending stays.
func TestServeIdleTimeout(t *testing.T) {
	const idle = 2 * time.Second
	tests := []struct {
		name    string
		hubIdle time.Duration // the hub's own -i (cli sets both)
	}{
		{"hub and mux idle", idle},
		{"mux idle only", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pc := newFakePacketConn()
				defer pc.Close()
				stdout := newChunkWriter()
				hub := relay.NewHub(stdout, relay.Options{Datagram: true, IdleTimeout: tt.hubIdle}, nil)
				defer hub.Close()
				var mu sync.Mutex
				var events []peerEvent
				done := make(chan error, 1)
				ctx := t.Context()
				go func() {
					done <- Serve(ctx, pc, hub, Options{MaxPeers: -1, IdleTimeout: idle, OnNewPeer: func(a net.Addr, ok bool) {
						mu.Lock()
						events = append(events, peerEvent{a.String(), ok})
						mu.Unlock()
					}})
				}()
				// check fails the test unless the hub has n members and
				// OnNewPeer was called for wantEvents addresses so far.
				check := func(when string, n, wantEvents int) bool {
					t.Helper()
					synctest.Wait()
					mu.Lock()
					got := len(events)
					mu.Unlock()
					if hub.Len() == n && got == wantEvents {
						return true
					}
					msg := fmt.Sprintf("at %s: %d members and %d OnNewPeer calls, want %d and %d (events %+v)", when, hub.Len(), got, n, wantEvents, events)
					t.Fatal(msg)
					return false
				}

				pc.deliver("quiet", "q")
				pc.deliver("chatty", "c")
				if !check("0s", 2, 2) {
					return
				}
				for range 3 { // chatty sends at 1.5 s, 3 s, 4.5 s
					time.Sleep(1500 * time.Millisecond)
					pc.deliver("chatty", "c")
				}
				if !check("4.5s", 1, 2) { // quiet expired at 2 s
					return
				}
				time.Sleep(1900 * time.Millisecond) // chatty's last datagram was at 4.5 s
				if !check("6.4s", 1, 2) {
					return
				}
				time.Sleep(200 * time.Millisecond)
				if !check("6.6s", 0, 2) {
					return
				}
				pc.deliver("quiet", "back")
				if !check("6.6s, quiet back", 1, 3) {
					return
				}
				mu.Lock()
				got := append([]peerEvent(nil), events...)
				mu.Unlock()
				want := []peerEvent{{"quiet", true}, {"chatty", true}, {"quiet", true}}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("OnNewPeer call %d = %+v, want %+v", i, got[i], want[i])
					}
				}
				if n := len(stdout.Chunks()); n != 6 {
					t.Errorf("%d stdout writes, want 6 (one per datagram)", n)
				}
				pc.Close()
				if err := <-done; err == nil {
					t.Error("Serve returned nil after the socket closed")
				}
			})
		})
	}
}

// Stdin goes to every member as one datagram, and a forgotten peer gets no
// more of it.
func TestServeStdinToPeers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pc := newFakePacketConn()
		hub := relay.NewHub(newChunkWriter(), relay.Options{Datagram: true, IdleTimeout: time.Second}, nil)
		defer hub.Close()
		go Serve(t.Context(), pc, hub, Options{MaxPeers: -1, IdleTimeout: time.Second})
		stdin, stdinW := net.Pipe()
		defer stdinW.Close()
		go hub.RunStdin(t.Context(), stdin)

		pc.deliver("a", "1")
		pc.deliver("b", "1")
		synctest.Wait() // both joined
		stdinW.Write([]byte("first"))
		synctest.Wait()
		for _, p := range []string{"a", "b"} {
			if got := pc.sentTo(p); len(got) != 1 || string(got[0]) != "first" {
				t.Errorf("peer %s got %q", p, got)
			}
		}
		time.Sleep(700 * time.Millisecond)
		pc.deliver("a", "2")
		time.Sleep(700 * time.Millisecond) // b expired at 1.0 s (stdin at 0 s touched it)
		stdinW.Write([]byte("second"))
		synctest.Wait()
		if got := pc.sentTo("a"); len(got) != 2 || string(got[1]) != "second" {
			t.Errorf("peer a got %q", got)
		}
		if got := pc.sentTo("b"); len(got) != 1 {
			t.Errorf("forgotten peer b got %q", got)
		}
		stdin.Close()
		pc.Close()
	})
}
