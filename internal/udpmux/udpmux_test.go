package udpmux

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/relay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testTimeout = 30 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// chunkWriter is a stdout recording each Write, whose content tests can
// wait for.
type chunkWriter struct {
	mu      sync.Mutex
	chunks  [][]byte
	changed chan struct{}
}

func newChunkWriter() *chunkWriter { return &chunkWriter{changed: make(chan struct{})} }

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunks = append(w.chunks, bytes.Clone(p))
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *chunkWriter) Chunks() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.chunks...)
}

// waitChunks waits until at least n writes were made.
func (w *chunkWriter) waitChunks(ctx context.Context, t testing.TB, n int) [][]byte {
	t.Helper()
	for {
		w.mu.Lock()
		got, ch := len(w.chunks), w.changed
		w.mu.Unlock()
		if got >= n {
			return w.Chunks()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %d stdout writes: have %q", n, w.Chunks())
		}
	}
}

// newPeerEvents records OnNewPeer calls and lets tests wait for them.
type peerEvent struct {
	addr     string
	admitted bool
}

func newPeerEvents() (func(net.Addr, bool), <-chan peerEvent) {
	ch := make(chan peerEvent, 100)
	return func(a net.Addr, ok bool) { ch <- peerEvent{a.String(), ok} }, ch
}

func nextEvent(ctx context.Context, t testing.TB, ch <-chan peerEvent) peerEvent {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-ctx.Done():
		t.Fatal("no OnNewPeer call")
		return peerEvent{}
	}
}

var families = []struct{ name, network, addr string }{
	{"udp4", "udp4", "127.0.0.1:0"},
	{"udp6", "udp6", "[::1]:0"},
}

// server binds a loopback UDP socket and runs Serve on it with a hub until
// the test ends.
type server struct {
	pc     net.PacketConn
	hub    *relay.Hub
	stdout *chunkWriter
	events <-chan peerEvent
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, network, addr string, ho relay.Options, o Options) *server {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		if network == "udp6" {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	s := &server{pc: pc, stdout: newChunkWriter(), done: make(chan error, 1)}
	ho.Datagram = true
	s.hub = relay.NewHub(s.stdout, ho, nil)
	o.OnNewPeer, s.events = newPeerEvents()
	ctx, cancel := context.WithCancel(t.Context())
	s.cancel = cancel
	go func() { s.done <- Serve(ctx, pc, s.hub, o) }()
	t.Cleanup(func() {
		s.stop(t)
		s.hub.Close()
	})
	return s
}

// stop cancels Serve and checks it returned ctx's error.
func (s *server) stop(t *testing.T) {
	s.cancel()
	if err := <-s.done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v, want context.Canceled", err)
	}
	s.done <- context.Canceled // for a second stop
}

// client is a peer socket connected to the server.
func (s *server) client(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP(s.pc.LocalAddr().Network(), nil, s.pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *net.UDPConn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	b := make([]byte, 1<<16)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

// Each source address becomes a member; its datagrams reach stdout whole,
// one write each; stdin through the hub reaches every peer as one datagram.
func TestServePeers(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			ctx := testCtx(t)
			s := startServer(t, fam.network, fam.addr, relay.Options{}, Options{MaxPeers: -1})
			var clients []*net.UDPConn
			for i := range 3 {
				c := s.client(t)
				clients = append(clients, c)
				send(t, c, "hello from "+string(rune('a'+i)))
				if e := nextEvent(ctx, t, s.events); !e.admitted || e.addr != c.LocalAddr().String() {
					t.Errorf("OnNewPeer(%s, %v), want (%s, true)", e.addr, e.admitted, c.LocalAddr())
				}
			}
			big := bytes.Repeat([]byte("x"), 60000)
			clients[0].Write(big)
			send(t, clients[1], "second datagram")
			got := s.stdout.waitChunks(ctx, t, 5)
			want := []string{"hello from a", "hello from b", "hello from c", string(big), "second datagram"}
			for i, w := range want {
				if string(got[i]) != w {
					t.Errorf("stdout write %d = %d bytes, want %d (%.20q)", i, len(got[i]), len(w), w)
				}
			}
			if n := s.hub.Len(); n != 3 {
				t.Errorf("hub has %d members, want 3", n)
			}
			select {
			case e := <-s.events:
				t.Errorf("unexpected OnNewPeer %+v for a known peer", e)
			default:
			}

			stdin, stdinW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdinDone := make(chan error, 1)
			go func() { stdinDone <- s.hub.RunStdin(ctx, stdin) }()
			stdinW.Write([]byte("to everyone"))
			for i, c := range clients {
				if got := recv(t, c); got != "to everyone" {
					t.Errorf("client %d got %q", i, got)
				}
			}
			stdinW.Write(big)
			for i, c := range clients {
				if got := recv(t, c); got != string(big) {
					t.Errorf("client %d got a %d-byte datagram, want %d", i, len(got), len(big))
				}
			}
			stdinW.Close()
			if err := <-stdinDone; err != nil {
				t.Errorf("RunStdin: %v", err)
			}
			s.stop(t)
			if _, err := s.pc.WriteTo([]byte("x"), clients[0].LocalAddr()); !errors.Is(err, net.ErrClosed) {
				t.Errorf("socket still open after Serve returned: %v", err)
			}
		})
	}
}

// Past MaxPeers a new address is refused (OnNewPeer admitted=false) and its
// datagrams dropped; the members go on.
func TestServeMaxPeers(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t, "udp4", "127.0.0.1:0", relay.Options{}, Options{MaxPeers: 2})
	a, b, c := s.client(t), s.client(t), s.client(t)
	for i, cl := range []*net.UDPConn{a, b, c} {
		send(t, cl, "join")
		e := nextEvent(ctx, t, s.events)
		if want := i < 2; e.admitted != want || e.addr != cl.LocalAddr().String() {
			t.Errorf("peer %d: OnNewPeer(%s, %v), want (%s, %v)", i, e.addr, e.admitted, cl.LocalAddr(), want)
		}
	}
	send(t, a, "still here")
	got := s.stdout.waitChunks(ctx, t, 3)
	if len(got) != 3 || string(got[0]) != "join" || string(got[1]) != "join" || string(got[2]) != "still here" {
		t.Errorf("stdout writes = %q; the refused peer's datagram must be dropped", got)
	}
	if n := s.hub.Len(); n != 2 {
		t.Errorf("hub has %d members, want 2", n)
	}
}

// With --send-only the socket is still read (to learn the peers) but what
// peers send must not reach stdout.
func TestServeSendOnly(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t, "udp4", "127.0.0.1:0", relay.Options{SendOnly: true}, Options{MaxPeers: -1})
	c := s.client(t)
	send(t, c, "must not be shown")
	nextEvent(ctx, t, s.events)
	// Serve handles datagrams in order: once a second peer is announced,
	// the first datagram has been dealt with.
	send(t, s.client(t), "sentinel")
	nextEvent(ctx, t, s.events)
	stdinDone := make(chan error, 1)
	stdin, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	go func() { stdinDone <- s.hub.RunStdin(ctx, stdin) }()
	stdinW.Write([]byte("out"))
	if got := recv(t, c); got != "out" {
		t.Errorf("peer got %q", got)
	}
	stdinW.Close()
	<-stdinDone
	if got := s.stdout.Chunks(); len(got) != 0 {
		t.Errorf("udpmux.Serve writes peers' datagrams to stdout under --send-only (hub Options.SendOnly): %q", got)
	}
}

// Allow refuses a new address before it is a peer: its datagrams are
// dropped, OnNewPeer never hears of it, and it takes no MaxPeers slot.
func TestServeAllow(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	var refused string // the address Allow refuses
	asked := map[string]int{}
	allow := func(a net.Addr) bool {
		mu.Lock()
		defer mu.Unlock()
		asked[a.String()]++
		return a.String() != refused
	}
	s := startServer(t, "udp4", "127.0.0.1:0", relay.Options{}, Options{MaxPeers: 1, Allow: allow})
	bad, good := s.client(t), s.client(t)
	mu.Lock()
	refused = bad.LocalAddr().String()
	mu.Unlock()
	send(t, bad, "refused 1")
	send(t, bad, "refused 2")
	send(t, good, "welcome")
	if e := nextEvent(ctx, t, s.events); !e.admitted || e.addr != good.LocalAddr().String() {
		t.Errorf("OnNewPeer(%s, %v), want (%s, true)", e.addr, e.admitted, good.LocalAddr())
	}
	send(t, good, "again")
	got := s.stdout.waitChunks(ctx, t, 2)
	if len(got) != 2 || string(got[0]) != "welcome" || string(got[1]) != "again" {
		t.Errorf("stdout writes = %q; refused datagrams must be dropped", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked[refused] != 2 || asked[good.LocalAddr().String()] != 1 {
		t.Errorf("Allow asked %v; want twice for the refused address, once for the peer", asked)
	}
}
