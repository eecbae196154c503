package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/conntrack"
)

// fakeMember is a hub member that records what it is sent and how it is
// closed.
type fakeMember struct {
	name string

	mu          sync.Mutex
	got         bytes.Buffer
	closes      int
	closeWrites int
	failWrites  bool
}

func (m *fakeMember) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrites {
		return 0, errors.New("broken member")
	}
	return m.got.Write(p)
}

func (m *fakeMember) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closes++
	return nil
}

func (m *fakeMember) CloseWrite() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeWrites++
	return nil
}

func (m *fakeMember) state() (got string, closes, closeWrites int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.got.String(), m.closes, m.closeWrites
}

// hubMembers connects n loopback TCP clients and adds their server ends to
// hub; it returns the client ends.
func hubMembers(t *testing.T, hub *Hub, n int) []*net.TCPConn {
	t.Helper()
	var clients []*net.TCPConn
	for range n {
		ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
		if !hub.AddConn(ours, -1) {
			t.Fatal("AddConn refused a member")
		}
		clients = append(clients, peer)
	}
	return clients
}

func startRunStdin(ctx context.Context, hub *Hub, stdin io.Reader) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- hub.RunStdin(ctx, stdin) }()
	return ch
}

func waitErr(ctx context.Context, t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		t.Fatal("RunStdin did not return")
		return nil
	}
}

// Every member's data reaches stdout in order, each read written whole and
// never two writes at once.
func TestHubMembersToStdout(t *testing.T) {
	ctx := testCtx(t)
	stdout := newSyncBuffer()
	hub := NewHub(stdout, Options{}, nil)
	defer hub.Close()
	const members, each = 3, 256 << 10
	clients := hubMembers(t, hub, members)
	for i, c := range clients {
		go func() {
			// Byte k of member i is i<<6 | k%64: stdout can be split back
			// into the members' streams and each checked for order.
			b := make([]byte, each)
			for k := range b {
				b[k] = byte(i<<6 | k%64)
			}
			for off := 0; off < each; off += 4096 {
				c.Write(b[off : off+4096])
			}
		}()
	}
	stdout.waitFor(ctx, t, "every member's data", func(b []byte) bool { return len(b) >= members*each })
	if stdout.overlap.Load() {
		t.Error("two stdout writes overlapped")
	}
	next := make([]int, members)
	for _, b := range stdout.Bytes() {
		i := int(b >> 6)
		if i >= members || int(b&63) != next[i]%64 {
			t.Fatalf("member %d's stream out of order at byte %d", i, next[i])
		}
		next[i]++
	}
	for i, n := range next {
		if n != each {
			t.Errorf("member %d: %d bytes on stdout, want %d", i, n, each)
		}
	}
	if got := hub.Len(); got != members {
		t.Errorf("Len = %d, want %d", got, members)
	}
}

// Each stdin chunk reaches every member (converted with -C); stdin EOF
// half-closes every member, whose data still reaches stdout.
func TestHubStdinToEveryMember(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		in   string
		want string
	}{
		{"plain", Options{}, "hello\n", "hello\n"},
		{"-C", Options{CRLF: true}, "hello\n", "hello\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			stdout := newSyncBuffer()
			hub := NewHub(stdout, tt.o, nil)
			defer hub.Close()
			clients := hubMembers(t, hub, 3)
			stdin, stdinW := stdinPipe(t)
			done := startRunStdin(ctx, hub, stdin)
			write(t, stdinW, tt.in)
			for i, c := range clients {
				if got := readN(t, c, len(tt.want)); got != tt.want {
					t.Errorf("member %d got %q, want %q", i, got, tt.want)
				}
			}
			stdinW.Close()
			if err := waitErr(ctx, t, done); err != nil {
				t.Fatalf("RunStdin: %v", err)
			}
			for i, c := range clients {
				expectEOF(t, c)
				write(t, c, fmt.Sprint(i))
			}
			stdout.waitFor(ctx, t, "a byte from each member", func(b []byte) bool { return len(b) == 3 })
			for i := range clients {
				if !strings.Contains(stdout.String(), fmt.Sprint(i)) {
					t.Errorf("stdout %q lacks member %d's data after the half-close", stdout.String(), i)
				}
			}
		})
	}
}

// Data written to stdin while nobody is connected waits in the pipe for the
// first member.
func TestHubStdinWaitsForFirstMember(t *testing.T) {
	ctx := testCtx(t)
	hub := NewHub(newSyncBuffer(), Options{}, nil)
	defer hub.Close()
	stdin, stdinW := stdinPipe(t)
	write(t, stdinW, "early")
	runCtx, cancel := context.WithCancel(ctx)
	done := startRunStdin(runCtx, hub, stdin)
	clients := hubMembers(t, hub, 1)
	if got := readN(t, clients[0], 5); got != "early" {
		t.Fatalf("first member got %q", got)
	}
	cancel()
	if err := waitErr(ctx, t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunStdin = %v, want context.Canceled", err)
	}
}

// Stdin that arrives while nobody is connected waits for the next member,
// and stdin's EOF is acted on only with a member there, as ncat reads stdin
// only while a client is connected: RunStdin does not return before the
// first member joins (so --send-only and -q do not end an empty server),
// and that member is half-closed.
func TestHubStdinWithoutMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hub := NewHub(newSyncBuffer(), Options{}, nil)
		defer hub.Close()
		stdinR, stdinW := net.Pipe()
		defer stdinR.Close()
		done := startRunStdin(t.Context(), hub, stdinR)
		go stdinW.Write([]byte("first"))
		synctest.Wait()

		m1, peer1 := net.Pipe()
		hub.AddConn(m1, -1)
		if got := readN(t, peer1, 5); got != "first" {
			t.Fatalf("first member got %q", got)
		}
		peer1.Close() // the member leaves
		synctest.Wait()
		if hub.Len() != 0 {
			t.Fatalf("Len = %d after the member left", hub.Len())
		}
		go stdinW.Write([]byte("second"))
		synctest.Wait()
		m2, peer2 := net.Pipe()
		hub.AddConn(m2, -1)
		if got := readN(t, peer2, 6); got != "second" {
			t.Fatalf("next member got %q", got)
		}
		peer2.Close()
		synctest.Wait()

		stdinW.Close() // EOF with nobody connected
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Hub.RunStdin returned (%v) at a stdin EOF with no member connected; ncat reads stdin "+
				"only while a client is connected, so it must wait for the next member", err)
		default:
		}
		last := &fakeMember{}
		hub.Join(last, -1)
		if done != nil {
			if err := <-done; err != nil {
				t.Errorf("RunStdin: %v", err)
			}
		}
		synctest.Wait()
		if _, _, cw := last.state(); cw != 1 {
			t.Errorf("member joining after stdin EOF: %d CloseWrite, want 1", cw)
		}
	})
}

// shortMember is a member connection whose client sent nothing and
// half-closed: before it joined (eofAtOnce: reads give EOF at once), or
// just as the hub starts writing to it (reads give EOF once a write has
// begun). A write takes a millisecond, and fails if the connection is
// closed meanwhile, as a socket's would.
type shortMember struct {
	net.Conn    // nil: only the methods below are called
	eofAtOnce   bool
	writing     chan struct{}
	closed      chan struct{}
	writingOnce sync.Once
	closedOnce  sync.Once
	mu          sync.Mutex
	got         bytes.Buffer
}

func newShortMember(eofAtOnce bool) *shortMember {
	return &shortMember{eofAtOnce: eofAtOnce, writing: make(chan struct{}), closed: make(chan struct{})}
}

func (c *shortMember) Read([]byte) (int, error) {
	if !c.eofAtOnce {
		<-c.writing
	}
	return 0, io.EOF
}

func (c *shortMember) Write(p []byte) (int, error) {
	c.writingOnce.Do(func() { close(c.writing) })
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	case <-time.After(time.Millisecond): // synctest's clock
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got.Write(p)
}

func (c *shortMember) Close() error {
	c.closedOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *shortMember) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got.String()
}

// TestHubHeldStdin: a chunk stdin held while nobody was connected reaches
// the next member even when that member's client half-closed at once, as
// ncat serves stdin before reading a new client: whether the EOF came
// before the member joined, or while the chunk was being written to it.
// Before, the member's own EOF could make it leave first, and the chunk
// then waited for yet another member.
func TestHubHeldStdin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		eofAtOnce bool
	}{
		{"EOF before joining", true},
		{"EOF while written to", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := range 20 {
				synctest.Test(t, func(t *testing.T) {
					hub := NewHub(newSyncBuffer(), Options{}, nil)
					defer hub.Close()
					stdinR, stdinW := net.Pipe()
					defer stdinR.Close()
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					startRunStdin(ctx, hub, stdinR)
					go stdinW.Write([]byte("held"))
					synctest.Wait() // RunStdin holds the chunk, nobody to send it to
					m := newShortMember(tc.eofAtOnce)
					if !hub.AddConn(m, -1) {
						t.Fatal("AddConn refused the member")
					}
					time.Sleep(time.Second) // the bubble's clock: the write's delay passes
					synctest.Wait()
					if got := m.String(); got != "held" {
						t.Fatalf("round %d: the member got %q, want the held chunk", round, got)
					}
					if n := hub.Len(); n != 0 {
						t.Errorf("round %d: %d members after the member's EOF, want 0", round, n)
					}
				})
			}
		})
	}
}

func TestHubMaxMembers(t *testing.T) {
	tests := []struct {
		name      string
		max, join int
		want      int
	}{
		{"-m 2", 2, 3, 2},
		{"-m 0 refuses all", 0, 2, 0},
		{"no limit", -1, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := NewHub(io.Discard, Options{}, nil)
			var ms []*fakeMember
			for i := range tt.join {
				m := &fakeMember{name: fmt.Sprint(i)}
				ms = append(ms, m)
				if got, want := hub.Join(m, tt.max), i < tt.want; got != want {
					t.Fatalf("Join #%d = %v, want %v", i, got, want)
				}
			}
			if hub.Len() != tt.want {
				t.Errorf("Len = %d, want %d", hub.Len(), tt.want)
			}
			for _, m := range ms[tt.want:] {
				if _, closes, _ := m.state(); closes != 0 {
					t.Error("a refused member was closed")
				}
			}
			if tt.want > 0 {
				hub.Leave(ms[0])
				if _, closes, _ := ms[0].state(); closes != 1 {
					t.Errorf("member that left closed %d times, want 1", closes)
				}
				if !hub.Join(&fakeMember{}, tt.max) {
					t.Error("no room after a member left")
				}
			}
			hub.Close()
			for _, m := range ms[:tt.want] {
				if _, closes, _ := m.state(); closes != 1 {
					t.Errorf("member closed %d times by Close, want 1", closes)
				}
			}
			if hub.Join(&fakeMember{}, -1) {
				t.Error("Join after Close succeeded")
			}
		})
	}
}

// AddConn over the limit refuses the connection and leaves it open for the
// caller to close.
func TestHubAddConnOverLimit(t *testing.T) {
	hub := NewHub(io.Discard, Options{}, nil)
	defer hub.Close()
	hubMembers(t, hub, 1)
	ours, peer := tcpPair(t, "tcp4", "127.0.0.1:0")
	if hub.AddConn(ours, 1) {
		t.Fatal("AddConn past -m 1 succeeded")
	}
	write(t, ours, "still open")
	if got := readN(t, peer, 10); got != "still open" {
		t.Errorf("peer got %q", got)
	}
}

// A member whose write fails leaves; the others still get stdin.
func TestHubFailingMemberLeaves(t *testing.T) {
	ctx := testCtx(t)
	hub := NewHub(io.Discard, Options{}, nil)
	defer hub.Close()
	good, bad := &fakeMember{}, &fakeMember{failWrites: true}
	hub.Join(good, -1)
	hub.Join(bad, -1)
	if err := waitErr(ctx, t, startRunStdin(ctx, hub, strings.NewReader("data"))); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := good.state(); got != "data" {
		t.Errorf("good member got %q", got)
	}
	if _, closes, _ := bad.state(); closes != 1 {
		t.Errorf("failing member closed %d times, want 1", closes)
	}
	if hub.Len() != 1 {
		t.Errorf("Len = %d, want 1", hub.Len())
	}
}

// At stdin EOF members are half-closed, except with --no-shutdown and for
// datagram members.
func TestHubStdinEOFShutdown(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want int
	}{
		{"default", Options{}, 1},
		{"--no-shutdown", Options{NoShutdown: true}, 0},
		{"datagram", Options{Datagram: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			hub := NewHub(io.Discard, tt.o, nil)
			defer hub.Close()
			ms := []*fakeMember{{}, {}, {}}
			for _, m := range ms {
				hub.Join(m, -1)
			}
			if err := waitErr(ctx, t, startRunStdin(ctx, hub, strings.NewReader("x"))); err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				got, closes, cw := m.state()
				if got != "x" || closes != 0 || cw != tt.want {
					t.Errorf("member %d: got %q, %d closes, %d CloseWrite; want \"x\", 0, %d", i, got, closes, cw, tt.want)
				}
			}
		})
	}
}

// --send-only: members are never read; stdin still reaches them.
func TestHubSendOnly(t *testing.T) {
	ctx := testCtx(t)
	stdout := newSyncBuffer()
	hub := NewHub(stdout, Options{SendOnly: true}, nil)
	clients := hubMembers(t, hub, 2)
	for _, c := range clients {
		write(t, c, "unread")
	}
	stdin, stdinW := stdinPipe(t)
	done := startRunStdin(ctx, hub, stdin)
	write(t, stdinW, "hi")
	for _, c := range clients {
		if got := readN(t, c, 2); got != "hi" {
			t.Errorf("member got %q", got)
		}
	}
	stdinW.Close()
	if err := waitErr(ctx, t, done); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		expectEOF(t, c)
	}
	hub.Close()
	if got := stdout.String(); got != "" {
		t.Errorf("stdout = %q; --send-only must not read members", got)
	}
}

// --recv-only: stdin is never read, members are never half-closed, and
// their data still reaches stdout.
func TestHubRecvOnly(t *testing.T) {
	ctx := testCtx(t)
	stdout := newSyncBuffer()
	hub := NewHub(stdout, Options{RecvOnly: true}, nil)
	defer hub.Close()
	clients := hubMembers(t, hub, 1)
	fm := &fakeMember{}
	hub.Join(fm, -1)
	runCtx, cancel := context.WithCancel(ctx)
	done := startRunStdin(runCtx, hub, forbiddenReader{t})
	write(t, clients[0], "in")
	stdout.waitString(ctx, t, "in")
	cancel()
	if err := waitErr(ctx, t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunStdin = %v, want context.Canceled", err)
	}
	if got, _, cw := fm.state(); got != "" || cw != 0 {
		t.Errorf("member sent %q, %d CloseWrite; want nothing", got, cw)
	}
}

// Cancelling ctx ends RunStdin whether it waits for a member or for stdin.
func TestHubRunStdinCancel(t *testing.T) {
	for _, withMember := range []bool{false, true} {
		t.Run(fmt.Sprintf("member=%v", withMember), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			ctx := testCtx(t)
			hub := NewHub(io.Discard, Options{}, nil)
			if withMember {
				hub.Join(&fakeMember{}, -1)
			}
			stdin, _ := stdinPipe(t)
			runCtx, cancel := context.WithCancel(ctx)
			done := startRunStdin(runCtx, hub, stdin)
			cancel()
			if err := waitErr(ctx, t, done); !errors.Is(err, context.Canceled) {
				t.Fatalf("RunStdin = %v, want context.Canceled", err)
			}
			hub.Close()
		})
	}
}

// -i in listen -k mode closes only the idle member.
func TestHubIdlePerMember(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logMu sync.Mutex
		var logs []string
		logf := func(format string, args ...any) {
			logMu.Lock()
			logs = append(logs, fmt.Sprintf(format, args...))
			logMu.Unlock()
		}
		stdout := newSyncBuffer()
		hub := NewHub(stdout, Options{IdleTimeout: time.Second}, logf)
		defer hub.Close()
		start := time.Now()
		a, aPeer := net.Pipe()
		b, bPeer := net.Pipe()
		hub.AddConn(a, -1)
		hub.AddConn(b, -1)

		closedAt := func(c net.Conn) <-chan time.Duration {
			ch := make(chan time.Duration, 1)
			go func() {
				io.Copy(io.Discard, c)
				ch <- time.Since(start)
			}()
			return ch
		}
		aClosed, bClosed := closedAt(aPeer), closedAt(bPeer)
		go func() {
			for range 5 { // active until 2 s
				time.Sleep(400 * time.Millisecond)
				aPeer.Write([]byte("a"))
			}
		}()

		if got := <-bClosed; got != time.Second {
			t.Errorf("silent member closed after %v, want 1s", got)
		}
		if hub.Len() != 1 {
			t.Errorf("Len = %d after the silent member's timeout, want 1", hub.Len())
		}
		if got := <-aClosed; got != 3*time.Second {
			t.Errorf("active member closed after %v, want 3s (1s after its last data)", got)
		}
		synctest.Wait()
		if hub.Len() != 0 {
			t.Errorf("Len = %d, want 0", hub.Len())
		}
		if got := stdout.String(); got != "aaaaa" {
			t.Errorf("stdout = %q", got)
		}
		logMu.Lock()
		defer logMu.Unlock()
		if len(logs) != 2 || !strings.HasPrefix(logs[0], "Idle timeout expired (1000 ms)") {
			t.Errorf("log lines = %q, want two idle-timeout lines", logs)
		}
	})
}

// slowConn is a member whose reader, once its connection fails, waits for
// release before returning: a member goroutine that is slow to end.
type slowConn struct {
	net.Conn
	release chan struct{}
}

func (c *slowConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		<-c.release
	}
	return n, err
}

// Close closes every member and waits for the member goroutines.
func TestHubCloseWaitsForMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hub := NewHub(io.Discard, Options{}, nil)
		c, peer := net.Pipe()
		defer peer.Close()
		m := &slowConn{Conn: c, release: make(chan struct{})}
		hub.AddConn(m, -1)
		synctest.Wait()

		closed := make(chan struct{})
		go func() {
			hub.Close()
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a member goroutine was still running")
		default:
		}
		if _, err := peer.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("member not closed by Close: %v", err)
		}
		close(m.release)
		<-closed
		if hub.AddConn(&slowConn{Conn: peer}, -1) {
			t.Error("AddConn after Close succeeded")
		}
	})
}

// The session log gets each member chunk and each stdin chunk once.
func TestHubLog(t *testing.T) {
	ctx := testCtx(t)
	raw := filepath.Join(t.TempDir(), "raw")
	log, err := OpenLog(raw, "", false)
	if err != nil {
		t.Fatal(err)
	}
	stdout := newSyncBuffer()
	hub := NewHub(stdout, Options{Log: log}, nil)
	clients := hubMembers(t, hub, 2)
	write(t, clients[0], "from-member")
	stdout.waitString(ctx, t, "from-member")
	if err := waitErr(ctx, t, startRunStdin(ctx, hub, strings.NewReader("to-all"))); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		readN(t, c, 6)
	}
	hub.Close()
	log.Close()
	got, _ := os.ReadFile(raw)
	if string(got) != "from-memberto-all" {
		t.Errorf("-o file = %q, want %q", got, "from-memberto-all")
	}
}

// TestHubCounts: with a connection table, each member is listed while it
// is in the hub, with the bytes it sent and the stdin bytes it was sent,
// and leaves the table (its bytes staying in the totals) when it goes.
func TestHubCounts(t *testing.T) {
	ctx := testCtx(t)
	stdout := newSyncBuffer()
	reg := conntrack.New()
	hub := NewHub(stdout, Options{Conns: reg}, nil)
	defer hub.Close()
	clients := hubMembers(t, hub, 2)
	clients[0].Write([]byte("12345"))
	stdout.waitFor(ctx, t, "member 0's bytes", func(b []byte) bool { return len(b) == 5 })
	clients[1].Write([]byte("678"))
	stdout.waitFor(ctx, t, "member 1's bytes", func(b []byte) bool { return len(b) == 8 })
	done := startRunStdin(ctx, hub, strings.NewReader("hello\n"))
	for _, c := range clients {
		buf := make([]byte, 6)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitErr(ctx, t, done); err != nil {
		t.Fatal(err)
	}
	rows, tot := reg.Snapshot()
	if len(rows) != 2 || tot.Active != 2 || tot.BytesIn != 8 || tot.BytesOut != 12 {
		t.Fatalf("rows %+v, totals %+v", rows, tot)
	}
	byRemote := map[string]conntrack.Row{}
	for _, r := range rows {
		byRemote[r.Remote] = r
	}
	for i, want := range []int64{5, 3} {
		r := byRemote[clients[i].LocalAddr().String()]
		if r.BytesIn != want || r.BytesOut != 6 {
			t.Errorf("member %d row = %+v, want %d in, 6 out", i, r, want)
		}
	}
	clients[0].Close()
	for {
		_, tot = reg.Snapshot()
		if tot.Active == 1 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Millisecond) // the member's reader sees the EOF; bounded by ctx
	}
	if tot.Active != 1 || tot.BytesIn != 8 || tot.BytesOut != 12 {
		t.Errorf("after a member left: totals %+v", tot)
	}
}
