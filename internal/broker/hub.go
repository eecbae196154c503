// Package broker runs ncat's --broker and --chat rooms: every member's bytes
// go to every other member, each member through its own bounded queue and
// writer goroutine, so no member stalls another. It owns the members it is
// given, chat's names, announcements, line framing, escaping and commands.
// It does not listen or accept: the caller hands it connections.
package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gnc/internal/conntrack"
	"gnc/internal/relay"
	"gnc/internal/transport"
)

// DefaultBuffer is the default bound of a member's outgoing queue in bytes
// (--broker-buffer).
const DefaultBuffer = 1 << 20

// DefaultGrace is how long a member whose queue is over its bound may go
// without draining any of it before it is disconnected as too slow.
const DefaultGrace = 500 * time.Millisecond

// maxBatch caps one write of a member's writer, so a member that drains
// slowly but steadily shows progress well within the grace period.
const maxBatch = 32 << 10

// Options configure a Hub. The zero value is a broker (no chat) with the
// default queue bound and grace period and nothing logged.
type Options struct {
	// Chat turns the broker into ncat's chat: names, announcements, one
	// prefix per line, escaping, commands, and the listener's stdout shows
	// the room.
	Chat bool
	// Buffer bounds each member's outgoing queue in bytes; 0 means
	// DefaultBuffer.
	Buffer int
	// Grace is how long a member over its bound may go without draining
	// before it is disconnected; 0 means DefaultGrace.
	Grace time.Duration

	SendOnly    bool          // members are never read; stdin still goes out
	RecvOnly    bool          // nothing is sent to members; stdin is not read
	IdleTimeout time.Duration // -i: a member idle this long is closed; 0 = never
	Delay       time.Duration // -d: pause after each chunk read
	CRLF        bool          // -C: LF to CRLF on the listener's stdin
	Log         *relay.Log    // -o/-x: every chunk read, nil = none

	// Conns, when not nil, lists each client in gnc's connection table
	// with its byte counts, chat name and queued bytes, and counts the
	// members dropped as too slow.
	Conns *conntrack.Registry

	// Logf receives -v lines; nil discards them.
	Logf func(format string, args ...any)
	// Allow, if not nil, is asked by ServePacket about each datagram from
	// an address that is not a member; false drops the datagram (--allow,
	// --deny; the caller logs the refusal). nil: every address may join.
	Allow func(addr net.Addr) bool
}

// Hub is one broker or chat room. Its zero value is not usable: call New.
type Hub struct {
	o      Options
	bound  int
	grace  time.Duration
	done   chan struct{} // closed by Close
	doneMu sync.Once

	mu sync.Mutex
	// members receive what the others send. The slice is replaced, never
	// changed in place, so a sender may range over a copy of the header.
	// In chat the listener (user0) is a member: its queue writes to stdout.
	members []*member
	clients int    // connected clients, the listener not counted
	used    []bool // chat numbers in use, index N for <userN>
	lowFree int    // no number below it is free
	nicks   map[string]*member
	closed  bool

	listener *member // user0: stdin speaks as it

	wg sync.WaitGroup
}

// member is one participant: a client connection, or the listener, whose
// stdin speaks and (in chat) whose stdout receives. An idle member costs
// little: its reader waits on a small buffer, and its writer runs only
// while its queue holds something.
type member struct {
	conn     net.Conn      // a stream client; nil for the listener and UDP peers
	out      io.Writer     // where the writer writes; nil receives nothing
	client   bool          // a client (counted by -m, announced), not the listener
	datagram bool          // each message is written as one datagram
	onClose  func()        // run once when the member goes; may be nil
	goneCh   chan struct{} // closed when the member goes
	ip       string        // the address as chat's announcements show it
	addr     string        // the address with port, for /who and logs
	num      int           // chat's N
	exempt   bool          // never disconnected as too slow (the listener's stdout)
	lastIO   atomic.Int64
	lastMsg  atomic.Int64    // when it last sent anything, for /who
	lines    lineBuffer      // chat: only the member's reader touches it
	track    *conntrack.Conn // nil without a connection table; set by add

	// guarded by Hub.mu
	name string
	left bool

	hub *Hub // starts the writer

	mu           sync.Mutex
	writing      bool // a writeLoop runs: from the first enqueue until q is drained or m goes
	q            [][]byte
	queued       int           // bytes in q and in the writer's current batch
	lastProgress time.Time     // last drain, or when q became non-empty
	progress     chan struct{} // made by a waiter, closed at the next drain
	gone         bool
	watched      bool // a dropIfStale goroutine is waiting on it
}

// New returns a hub. In chat, stdout receives the room as the listener
// sees it; in broker mode stdout is not used (ncat's listener gets
// nothing) and may be nil.
func New(stdout io.Writer, o Options) *Hub {
	h := &Hub{o: o, bound: o.Buffer, grace: o.Grace, done: make(chan struct{}), nicks: map[string]*member{}}
	if h.bound <= 0 {
		h.bound = DefaultBuffer
	}
	if h.grace <= 0 {
		h.grace = DefaultGrace
	}
	l := newMember(nil)
	l.ip, l.addr, l.name, l.exempt = "listener", "listener", "user0", true
	h.listener = l
	if o.Chat {
		h.used = []bool{true}
		h.lowFree = 1
		if stdout != nil {
			l.out = stdout
			l.hub = h
			h.members = []*member{l}
		}
	}
	return h
}

func newMember(c net.Conn) *member {
	m := &member{conn: c, client: c != nil, goneCh: make(chan struct{})}
	now := time.Now().UnixNano()
	m.lastIO.Store(now)
	m.lastMsg.Store(now)
	if c != nil {
		m.out = c
		switch a := c.RemoteAddr().(type) {
		case *net.TCPAddr, *net.UDPAddr:
			m.ip, m.addr = transport.FormatIP(a), transport.FormatAddr(a)
		default:
			m.ip, m.addr = "unix", "unix"
		}
	}
	return m
}

func (h *Hub) logf(format string, args ...any) {
	if h.o.Logf != nil {
		h.o.Logf(format, args...)
	}
}

// Len is the number of connected clients.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clients
}

// audience is who receives what a member sends: everyone, or with
// RecvOnly only the listener's stdout (chat). h.mu must be held.
func (h *Hub) audience() []*member {
	if !h.o.RecvOnly {
		return h.members
	}
	if h.o.Chat && len(h.members) > 0 && h.members[0] == h.listener {
		return h.members[:1]
	}
	return nil
}

// AddConn makes c a member unless the hub already has max clients (max < 0:
// no limit) or is closed, and reports whether it did. From then on the hub
// owns c and closes it when the member leaves; when AddConn reports false
// the caller still owns c.
func (h *Hub) AddConn(c net.Conn, max int) bool {
	return h.add(newMember(c), max)
}

// add makes m a member (see AddConn) and starts its goroutines.
func (h *Hub) add(m *member, max int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || max >= 0 && h.clients >= max {
		return false
	}
	h.clients++
	m.hub = h
	others := h.audience()
	h.members = append(slices.Clip(h.members), m)
	h.track(m)
	if h.o.Chat {
		m.num = h.allocNum()
		m.name = "user" + strconv.Itoa(m.num)
		m.track.SetName(m.name)
		joined := fmt.Sprintf("<announce> %s is connected as <%s>.\n", m.ip, m.name)
		if !h.o.RecvOnly {
			m.enqueue([]byte(joined+"<announce> already connected: "+h.roster(m)+".\n"), h.bound)
		}
		h.announce(others, []byte(joined))
	}
	if m.conn != nil && !h.o.SendOnly { // --send-only never reads; a member stays until a write to it fails
		h.wg.Go(func() { h.readLoop(m) })
	}
	if m.conn == nil && h.o.IdleTimeout > 0 {
		h.wg.Go(func() { h.idleLoop(m) }) // a UDP peer has no reads to time out
	}
	return true
}

// track lists m in the connection table, if there is one.
func (h *Hub) track(m *member) {
	if h.o.Conns == nil {
		return
	}
	if m.conn != nil {
		m.track = h.o.Conns.TrackConn(m.conn)
	} else if d, ok := m.out.(*datagramOut); ok {
		m.track = h.o.Conns.TrackPeer(d.pc.LocalAddr(), d.addr)
	} else {
		return
	}
	m.track.SetQueued(func() int64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return int64(m.queued)
	})
}

// roster is chat's "already connected" list for newcomer. h.mu must be
// held.
func (h *Hub) roster(newcomer *member) string {
	var b strings.Builder
	for _, o := range h.members {
		if o == newcomer || !o.client {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s as <%s>", o.ip, o.name)
	}
	if b.Len() == 0 {
		return "nobody"
	}
	return b.String()
}

// allocNum takes the lowest free chat number. h.mu must be held.
func (h *Hub) allocNum() int {
	n := h.lowFree
	for n < len(h.used) && h.used[n] {
		n++
	}
	if n == len(h.used) {
		h.used = append(h.used, true)
	} else {
		h.used[n] = true
	}
	h.lowFree = n + 1
	return n
}

// freeNum gives n back. h.mu must be held.
func (h *Hub) freeNum(n int) {
	if n <= 0 || n >= len(h.used) {
		return
	}
	h.used[n] = false
	h.lowFree = min(h.lowFree, n)
	for len(h.used) > 1 && !h.used[len(h.used)-1] {
		h.used = h.used[:len(h.used)-1]
	}
}

// announce queues msg for each of ms. Announcements never wait for a slow
// member; one that is over its bound and has not drained for the grace
// period is disconnected afterwards. h.mu must be held.
func (h *Hub) announce(ms []*member, msg []byte) {
	for _, o := range ms {
		if o.enqueue(msg, h.bound) && !o.exempt && o.startWatch() {
			h.wg.Go(func() { h.dropIfStale(o) })
		}
	}
}

// leaveReason says why a member leaves.
type leaveReason int

const (
	leftNormally leaveReason = iota
	leftTooSlow
)

// leave removes m, closes its connection and, in chat, tells the room. It
// reports whether m was still a member.
func (h *Hub) leave(m *member, why leaveReason) bool {
	h.mu.Lock()
	if m.left {
		h.mu.Unlock()
		return false
	}
	m.left = true
	m.track.Close() // out of the table before anyone hears it left
	if i := slices.Index(h.members, m); i >= 0 {
		h.members = slices.Concat(h.members[:i], h.members[i+1:])
	}
	if m.client {
		h.clients--
		if h.o.Chat {
			h.freeNum(m.num)
			if h.nicks[m.name] == m {
				delete(h.nicks, m.name)
			}
			if !h.closed {
				text := fmt.Sprintf("<announce> <%s> is disconnected.\n", m.name)
				if why == leftTooSlow {
					text = fmt.Sprintf("<announce> <%s> is disconnected (too slow).\n", m.name)
				}
				h.announce(h.audience(), []byte(text))
			}
		}
	}
	h.mu.Unlock()
	m.shutdown()
	return true
}

// drop disconnects m as too slow.
func (h *Hub) drop(m *member) {
	if h.leave(m, leftTooSlow) {
		h.o.Conns.CountDropped()
		who := m.addr
		if h.o.Chat {
			who = "<" + m.name + "> (" + m.addr + ")"
		}
		h.logf("Client %s disconnected: its queue stayed over %d bytes for %v (too slow).", who, h.bound, h.grace)
	}
}

// dropIfStale waits out m's grace period and drops it if it is still over
// its bound without having drained.
func (h *Hub) dropIfStale(m *member) {
	h.waitDrained(m)
	m.mu.Lock()
	m.watched = false
	m.mu.Unlock()
}

// startWatch reports whether nobody watches m for staleness yet, and makes
// the caller the watcher if so.
func (m *member) startWatch() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watched || m.gone {
		return false
	}
	m.watched = true
	return true
}

// readLoop is m's reader: each chunk goes to the room until m's EOF, an
// error, its idle timeout or the hub's end.
func (h *Hub) readLoop(m *member) {
	defer func() {
		if h.o.Chat {
			h.chatChunk(m, m.lines.flush)
		}
		h.leave(m, leftNormally)
	}()
	var rb readBuffer
	defer rb.release()
	for {
		if h.o.IdleTimeout > 0 {
			m.conn.SetReadDeadline(time.Unix(0, m.lastIO.Load()).Add(h.o.IdleTimeout))
		}
		buf := rb.next()
		n, err := m.conn.Read(buf)
		if n > 0 {
			m.track.AddIn(int64(n))
			now := time.Now().UnixNano()
			m.lastIO.Store(now)
			m.lastMsg.Store(now)
			h.o.Log.Record(buf[:n])
			h.fromMember(m, buf[:n])
			if h.o.Delay > 0 {
				time.Sleep(h.o.Delay)
			}
		}
		rb.filled(n) // after buf[:n] is used: it may go back to the pool
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && h.o.IdleTimeout > 0 {
			if time.Since(time.Unix(0, m.lastIO.Load())) < h.o.IdleTimeout {
				continue
			}
			h.logf("Idle timeout expired (%d ms); closing %s.", h.o.IdleTimeout.Milliseconds(), m.addr)
		}
		return
	}
}

// fromMember handles one chunk m sent. chunk is only valid during the call.
func (h *Hub) fromMember(m *member, chunk []byte) {
	if !h.o.Chat {
		h.broadcast(m, slices.Clone(chunk))
		return
	}
	h.chatChunk(m, func(emit func([]byte)) { m.lines.feed(chunk, emit) })
}

// broadcast queues msg, which is never changed again, for everyone but
// from. If that leaves a receiver over its bound, the sender waits for it
// to drain (TCP backpressure on the sender) or to be dropped as too slow.
func (h *Hub) broadcast(from *member, msg []byte) {
	h.mu.Lock()
	aud := h.audience()
	h.mu.Unlock()
	var over []*member
	for _, r := range aud {
		if r != from && r.enqueue(msg, h.bound) {
			over = append(over, r)
		}
	}
	for _, r := range over {
		h.waitDrained(r)
	}
}

// RunStdin reads the listener's stdin and sends it to every member (as
// <user0> in chat) until stdin ends, which it returns nil for, or ctx ends.
// With RecvOnly it does not read stdin at all. ncat keeps its clients open
// at the listener's stdin EOF, and so does RunStdin.
func (h *Hub) RunStdin(ctx context.Context, stdin io.Reader) error {
	if h.o.RecvOnly {
		<-ctx.Done()
		return ctx.Err()
	}
	stop := context.AfterFunc(ctx, func() {
		if dr, ok := stdin.(interface{ SetReadDeadline(time.Time) error }); ok {
			dr.SetReadDeadline(time.Now())
		}
	})
	defer stop()
	l := h.listener
	var lastCR bool
	buf := make([]byte, MaxLine)
	var conv []byte
	for {
		n, err := stdin.Read(buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 {
			chunk := buf[:n]
			if h.o.CRLF {
				conv = conv[:0]
				for _, b := range chunk {
					if b == '\n' && !lastCR {
						conv = append(conv, '\r')
					}
					conv = append(conv, b)
					lastCR = b == '\r'
				}
				chunk = conv
			}
			l.lastMsg.Store(time.Now().UnixNano())
			h.o.Log.Record(chunk)
			h.fromMember(l, chunk)
			if h.o.Delay > 0 {
				time.Sleep(h.o.Delay)
			}
		}
		if err != nil {
			if h.o.Chat {
				h.chatChunk(l, l.lines.flush)
			}
			return nil
		}
	}
}

// Close disconnects every member, refuses new ones, and waits for the
// hub's goroutines to end.
func (h *Hub) Close() {
	h.Abort()
	h.wg.Wait()
}

// Abort ends the room as Close does without waiting for the member
// goroutines: after a signal, the listener's stdout writer may be blocked
// on a stdout nobody reads, and must not keep gnc alive.
func (h *Hub) Abort() {
	h.mu.Lock()
	h.closed = true
	ms := h.members
	h.mu.Unlock()
	h.doneMu.Do(func() { close(h.done) })
	for _, m := range ms {
		h.leave(m, leftNormally)
	}
	h.listener.shutdown()
}
