package broker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/conntrack"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for bytes; it only keeps a broken hub from
// hanging the test, it is not a performance threshold.
const waitTimeout = 10 * time.Second

// syncBuf is a stdout the test can read while the hub writes it.
type syncBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuf() *syncBuf { return &syncBuf{changed: make(chan struct{})} }

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuf) waitFor(t *testing.T, want string) string {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, ch := s.b.String(), s.changed
		s.mu.Unlock()
		if strings.Contains(got, want) {
			return got
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("stdout: waiting for %q, got %q", want, got)
		}
	}
}

// room is a hub behind a real loopback listener.
type room struct {
	h      *Hub
	addr   string
	stdout *syncBuf
	logs   chan string
}

func newRoom(t *testing.T, o Options) *room {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &room{addr: ln.Addr().String(), stdout: newSyncBuf(), logs: make(chan string, 100)}
	o.Logf = func(format string, args ...any) {
		select {
		case r.logs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	r.h = New(r.stdout, o)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !r.h.AddConn(c, -1) {
				c.Close()
			}
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		r.h.Close()
	})
	return r
}

func (r *room) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// join dials and waits for chat's greeting, returning it.
func (r *room) join(t *testing.T) (*net.TCPConn, string) {
	t.Helper()
	c := r.dial(t)
	return c, readUntil(t, c, "already connected: ")
}

func readUntil(t *testing.T, c net.Conn, want string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte(want)) || !bytes.HasSuffix(got, []byte("\n")) && strings.HasSuffix(want, "\n") {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if len(got) > 300 {
				got = got[len(got)-300:]
			}
			t.Fatalf("reading for %q: got …%q, then %v", want, got, err)
		}
	}
	return string(got)
}

func expectQuiet(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if n > 0 || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		t.Errorf("expected nothing, got %q, %v", buf[:n], err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func waitLen(t *testing.T, h *Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for h.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d members, want %d", h.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBrokerRelays(t *testing.T) {
	r := newRoom(t, Options{})
	a, b, c := r.dial(t), r.dial(t), r.dial(t)
	waitLen(t, r.h, 3)
	io.WriteString(a, "from a\n")
	readUntil(t, b, "from a\n")
	readUntil(t, c, "from a\n")
	io.WriteString(c, "from c\n")
	readUntil(t, a, "from c\n")
	readUntil(t, b, "from c\n")
	expectQuiet(t, c) // the sender never gets its own bytes back

	stdin, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- r.h.RunStdin(t.Context(), stdin) }()
	io.WriteString(w, "from stdin\n")
	for _, m := range []net.Conn{a, b, c} {
		readUntil(t, m, "from stdin\n")
	}
	w.Close()
	if err := <-done; err != nil {
		t.Errorf("RunStdin = %v, want nil at EOF", err)
	}
	if got := r.stdout.String(); got != "" {
		t.Errorf("broker stdout = %q, want nothing", got)
	}
	// Clients stay open at stdin's EOF, as with ncat's broker.
	io.WriteString(a, "still here\n")
	readUntil(t, b, "still here\n")
}

func TestChatWireFormat(t *testing.T) {
	r := newRoom(t, Options{Chat: true})
	a, greetA := r.join(t)
	if want := "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: nobody.\n"; greetA != want {
		t.Errorf("first greeting = %q, want %q", greetA, want)
	}
	b, _ := r.join(t)
	readUntil(t, a, "<announce> 127.0.0.1 is connected as <user2>.\n")
	c, greetC := r.join(t)
	if want := "<announce> 127.0.0.1 is connected as <user3>.\n<announce> already connected: 127.0.0.1 as <user1>, 127.0.0.1 as <user2>.\n"; greetC != want {
		t.Errorf("third greeting = %q, want %q", greetC, want)
	}
	// The others get only the "is connected" line.
	if got := readUntil(t, b, "<user3>.\n"); got != "<announce> 127.0.0.1 is connected as <user3>.\n" {
		t.Errorf("join seen by user2 = %q", got)
	}
	readUntil(t, a, "<user3>.\n")

	// Escaping: the worked example of ncat-behaviour.md §5.
	a.Write([]byte("hello\x01\x1b[31m\x7f\xc3\xa9\ttab\r\n"))
	want := "<user1> hello\\001\\033[31m\\177é\ttab\r\n"
	if got := readUntil(t, b, "\n"); got != want {
		t.Errorf("escaped = %q, want %q", got, want)
	}
	readUntil(t, c, want)
	r.stdout.waitFor(t, want)

	// One prefix per line.
	io.WriteString(b, "part1")
	expectQuiet(t, a)
	io.WriteString(b, "part2\nline2\n")
	if got := readUntil(t, a, "line2\n"); got != "<user2> part1part2\n<user2> line2\n" {
		t.Errorf("lines = %q", got)
	}
	readUntil(t, c, "line2\n")

	// A partial line is flushed, with a newline, when its sender leaves.
	io.WriteString(c, "bye")
	c.CloseWrite()
	if got := readUntil(t, a, "disconnected.\n"); got != "<user3> bye\n<announce> <user3> is disconnected.\n" {
		t.Errorf("leave = %q", got)
	}
	readUntil(t, b, "<announce> <user3> is disconnected.\n")
	waitLen(t, r.h, 2)

	// The lowest free number is reused.
	d, greetD := r.join(t)
	if !strings.HasPrefix(greetD, "<announce> 127.0.0.1 is connected as <user3>.\n") {
		t.Errorf("rejoin greeting = %q, want user3 again", greetD)
	}
	_ = d
	r.stdout.waitFor(t, "<user3> bye\n<announce> <user3> is disconnected.\n<announce> 127.0.0.1 is connected as <user3>.\n")
}

func TestChatListener(t *testing.T) {
	r := newRoom(t, Options{Chat: true})
	a, _ := r.join(t)
	stdin, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- r.h.RunStdin(t.Context(), stdin) }()
	io.WriteString(w, "hi from the listener\n")
	readUntil(t, a, "<user0> hi from the listener\n")
	io.WriteString(a, "hi back\n")
	got := r.stdout.waitFor(t, "<user1> hi back\n")
	if strings.Contains(got, "hi from the listener") {
		t.Errorf("stdout echoes the listener's own line: %q", got)
	}
	// The listener's commands answer on stdout.
	io.WriteString(w, "/who\n")
	got = r.stdout.waitFor(t, "<announce>   <user1> 127.0.0.1:")
	if !strings.Contains(got, "<announce> 2 members:\n<announce>   <user0> listener, idle 0s\n") {
		t.Errorf("/who on stdout = %q", got)
	}
	expectQuiet(t, a) // /who answers the asker only
	w.Close()
	<-done
}

func TestChatNick(t *testing.T) {
	r := newRoom(t, Options{Chat: true})
	a, _ := r.join(t)
	b, _ := r.join(t)
	readUntil(t, a, "<user2>.\n")
	io.WriteString(a, "/nick alice\n")
	want := "<announce> <user1> is now known as <alice>.\n"
	if got := readUntil(t, a, "\n"); got != want {
		t.Errorf("asker sees %q, want %q", got, want)
	}
	readUntil(t, b, want)
	io.WriteString(a, "hello\n")
	readUntil(t, b, "<alice> hello\n")

	tests := []struct{ line, reply string }{
		{"/nick alice\n", "<announce> the name <alice> is already taken.\n"},
		{"/nick a!b\n", "<announce> invalid name \"a!b\": use 1-32 of A-Z a-z 0-9 _ . -.\n"},
		{"/nick " + strings.Repeat("x", 33) + "\n", "<announce> invalid name \"" + strings.Repeat("x", 33) + "\": use 1-32 of A-Z a-z 0-9 _ . -.\n"},
		{"/nick\n", "<announce> usage: /nick NAME (1-32 of A-Z a-z 0-9 _ . -).\n"},
		{"/nick user1\n", "<announce> the name user1 is reserved.\n"},
	}
	for _, tt := range tests {
		io.WriteString(b, tt.line)
		if got := readUntil(t, b, "\n"); got != tt.reply {
			t.Errorf("%q: reply %q, want %q", tt.line, got, tt.reply)
		}
	}
	expectQuiet(t, a) // replies go to the asker only

	// A name is free again once its owner changes it or leaves.
	io.WriteString(a, "/nick alice2\n")
	readUntil(t, b, "<announce> <alice> is now known as <alice2>.\n")
	io.WriteString(b, "/nick alice\n")
	readUntil(t, a, "<announce> <user2> is now known as <alice>.\n")
	a.Close()
	readUntil(t, b, "<announce> <alice2> is disconnected.\n")

	io.WriteString(b, "/help\n")
	if got := readUntil(t, b, "/help"); !strings.HasPrefix(got, "<announce> commands:\n") {
		t.Errorf("/help = %q", got)
	}
}

// TestStalledMember: a member that never reads (tiny receive buffer) does
// not slow the others: they receive every message while it is stalled, and
// it is disconnected once its queue stays over the bound.
func TestStalledMember(t *testing.T) {
	for _, chat := range []bool{false, true} {
		t.Run(fmt.Sprintf("chat=%v", chat), func(t *testing.T) {
			r := newRoom(t, Options{Chat: chat, Buffer: 64 << 10, Grace: 200 * time.Millisecond})
			var fast []*net.TCPConn
			var sender, stalled *net.TCPConn
			join := func() *net.TCPConn {
				if chat {
					c, _ := r.join(t)
					return c
				}
				return r.dial(t)
			}
			sender = join()
			stalled = r.dial(t)
			stalled.SetReadBuffer(4096)
			for range 3 {
				fast = append(fast, join())
			}
			waitLen(t, r.h, 5)
			// Drain the join announcements on the fast members.
			if chat {
				for _, c := range fast[:len(fast)-1] {
					readUntil(t, c, "<user5>.\n")
				}
			}

			// The sender goes on until the stalled member is dropped (the
			// kernel's socket buffers take megabytes first), then sends 100
			// more lines and an end line; every fast member must get all.
			line := strings.Repeat("z", 1000) + "\n"
			prefix := ""
			if chat {
				prefix = "<user1> "
			}
			sent := make(chan int, 1)
			var wg sync.WaitGroup
			wg.Go(func() {
				n, after := 0, -1
				for after != 0 && n < 100000 {
					if _, err := io.WriteString(sender, line); err != nil {
						break
					}
					n++
					if after > 0 {
						after--
						continue
					}
					select {
					case msg := <-r.logs:
						if !strings.Contains(msg, "too slow") {
							t.Errorf("log line %q", msg)
						}
						after = 100
					default:
					}
				}
				io.WriteString(sender, "end\n")
				sent <- n
			})
			var announced atomic.Int32
			errs := make(chan error, 2*len(fast))
			counts := make(chan int, len(fast))
			for _, c := range fast {
				wg.Go(func() {
					c.SetReadDeadline(time.Now().Add(3 * waitTimeout))
					br := bufio.NewReader(c)
					n := 0
					for {
						s, err := br.ReadString('\n')
						if err != nil {
							errs <- fmt.Errorf("after %d lines: %v", n, err)
							return
						}
						if s == prefix+"end\n" {
							counts <- n
							return
						}
						if chat && strings.HasPrefix(s, "<announce> ") {
							if s != "<announce> <user2> is disconnected (too slow).\n" {
								errs <- fmt.Errorf("announcement %q", s)
							}
							announced.Add(1)
							continue
						}
						if s != prefix+line {
							errs <- fmt.Errorf("line %d = %.40q", n, s)
							return
						}
						n++
					}
				})
			}
			wg.Wait()
			close(errs)
			close(counts)
			for err := range errs {
				t.Error(err)
			}
			total := <-sent
			if total >= 100000 {
				t.Fatal("stalled member never disconnected")
			}
			for n := range counts {
				if n != total {
					t.Errorf("a fast member got %d lines of %d", n, total)
				}
			}
			waitLen(t, r.h, 4)
			if chat && announced.Load() != int32(len(fast)) {
				t.Errorf("%d of %d fast members saw the too-slow announcement", announced.Load(), len(fast))
			}
		})
	}
}

// TestSlowReaderBackpressure: a member that keeps reading, however slowly,
// is never dropped; the bursting sender is paused instead.
func TestSlowReaderBackpressure(t *testing.T) {
	r := newRoom(t, Options{Buffer: 16 << 10, Grace: 2 * time.Second})
	sender, slow := r.dial(t), r.dial(t)
	waitLen(t, r.h, 2)
	const total = 16 << 20 // beyond every socket buffer, so the hub must pace the sender
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		chunk := bytes.Repeat([]byte("s"), 4096)
		for sent := 0; sent < total; sent += len(chunk) {
			if _, err := sender.Write(chunk); err != nil {
				return
			}
		}
	})
	slow.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 16<<10)
	got := 0
	for got < total {
		n, err := slow.Read(buf)
		got += n
		if err != nil {
			t.Fatalf("slow reader after %d bytes: %v", got, err)
		}
		time.Sleep(200 * time.Microsecond) // slower than the sender, never stopped
	}
	select {
	case msg := <-r.logs:
		t.Errorf("unexpected log: %s", msg)
	default:
	}
}

func TestMaxMembers(t *testing.T) {
	h := New(nil, Options{})
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for i := range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		ok := h.AddConn(s, 2)
		if ok != (i < 2) {
			t.Errorf("AddConn #%d = %v", i, ok)
		}
		if !ok {
			s.Close()
		}
	}
	if h.Len() != 2 {
		t.Errorf("Len = %d, want 2", h.Len())
	}
}

// TestManyJoinsAndLeaves: thousands of members come and go; nothing leaks
// (goleak in TestMain), numbers are reused, and the room is empty after.
func TestManyJoinsAndLeaves(t *testing.T) {
	r := newRoom(t, Options{Chat: true})
	keeper, _ := r.join(t)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for range 3000 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := net.Dial("tcp", r.addr)
			if err != nil {
				t.Error(err)
				return
			}
			c.SetReadDeadline(time.Now().Add(waitTimeout))
			buf := make([]byte, 256)
			var got []byte
			for !bytes.Contains(got, []byte("already connected:")) {
				n, err := c.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					t.Error(err)
					break
				}
			}
			c.Close()
		})
	}
	var reader sync.WaitGroup
	reader.Go(func() { io.Copy(io.Discard, keeper) }) // the keeper reads every announcement
	wg.Wait()
	waitLen(t, r.h, 1)
	_, greet := r.join(t)
	if !strings.HasPrefix(greet, "<announce> 127.0.0.1 is connected as <user2>.\n") {
		t.Errorf("greeting after the churn = %q, want <user2>", greet)
	}
	keeper.Close()
	reader.Wait()
}

// TestChatTable: with a connection table, each client is listed with its
// chat name (following /nick), its byte counts and its queued bytes; a
// member that leaves is taken out, its bytes kept in the totals.
func TestChatTable(t *testing.T) {
	reg := conntrack.New()
	r := newRoom(t, Options{Chat: true, Conns: reg})
	a, _ := r.join(t)
	b, _ := r.join(t)
	readUntil(t, a, "<user2>.\n")
	io.WriteString(a, "/nick alice\n")
	readUntil(t, b, "<announce> <user1> is now known as <alice>.\n")
	readUntil(t, a, "<announce> <user1> is now known as <alice>.\n")
	rows, tot := reg.Snapshot()
	if len(rows) != 2 || tot.Active != 2 {
		t.Fatalf("rows %+v", rows)
	}
	names := map[string]conntrack.Row{}
	for _, row := range rows {
		names[row.Name] = row
	}
	al, u2 := names["alice"], names["user2"]
	if al.Remote != a.LocalAddr().String() || u2.Remote != b.LocalAddr().String() {
		t.Errorf("rows %+v: alice and user2 not at their addresses", rows)
	}
	if al.BytesIn != int64(len("/nick alice\n")) || al.BytesOut == 0 || al.Queued < 0 || u2.Queued < 0 {
		t.Errorf("alice %+v, user2 %+v", al, u2)
	}
	a.Close()
	readUntil(t, b, "<announce> <alice> is disconnected.\n")
	rows, tot = reg.Snapshot()
	if len(rows) != 1 || rows[0].Name != "user2" || tot.BytesIn != int64(len("/nick alice\n")) {
		t.Errorf("after alice left: rows %+v, totals %+v", rows, tot)
	}
}
