package relay

import (
	"context"
	"io"
	"net"
	"sync"
	"time"

	"gnc/internal/conntrack"
)

// Member is one client of a listen -k server as the hub writes to it: a
// stream connection, or a UDP peer behind a shared socket.
type Member interface {
	io.Writer
	Close() error
}

// Hub serves ncat's listen -k relay: every member's data goes to stdout as
// it arrives (whole chunks, interleaved), and stdin goes to every member.
// A chunk read from stdin while nobody is connected waits for the next
// member, and so does an EOF, so the result is ncat's, which reads stdin
// only while a client is connected.
type Hub struct {
	stdout io.Writer
	o      Options
	logf   func(format string, args ...any)

	outMu sync.Mutex // one chunk at a time on stdout

	mu      sync.Mutex
	members map[Member]*memberState
	// joined, when not nil, is closed at the next Join: stdin holds a chunk
	// for the next member.
	joined chan struct{}
	// stdinHeld: stdin holds a chunk (or its EOF) that waits for members,
	// from when RunStdin finds nobody to send it to until it takes the
	// members it will send it to. A member that joins meanwhile is owed
	// it (memberState.stdinDue).
	stdinHeld bool
	closed    bool
	done      chan struct{} // closed by Abort

	wg sync.WaitGroup

	// OnOutputError, if not nil, is called once with the first error
	// writing stdout (a reader that went away); nil: such errors are
	// ignored. Set it before the hub is used.
	OnOutputError func(error)
	outputFailed  sync.Once
}

// memberBuffers recycles the read buffers of -k members, so a stream of
// short connections does not allocate and clear 64 KiB each.
var memberBuffers = sync.Pool{New: func() any {
	b := make([]byte, streamChunk)
	return &b
}}

type memberState struct {
	idle  *idleWatch
	track *conntrack.Conn // nil without a connection table
	// stdinDue, when not nil, is closed once the chunk stdin held when
	// the member joined has been sent to it (or it left): until then the
	// member must not leave by its own EOF, or a client that sends and
	// closes at once would miss what ncat, serving stdin first, gives it.
	stdinDue chan struct{}
}

// NewHub returns a hub writing to stdout with the session options o (Delay,
// CRLF, Log, IdleTimeout per member, SendOnly, RecvOnly, NoShutdown). logf
// receives -v lines; nil discards them.
func NewHub(stdout io.Writer, o Options, logf func(format string, args ...any)) *Hub {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Hub{stdout: stdout, o: o, logf: logf, members: map[Member]*memberState{}, done: make(chan struct{})}
}

// Len is the number of members.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.members)
}

// Join adds m unless the hub already has max members (max < 0: no limit)
// or is closed, and reports whether it did. The hub owns m from then on and
// closes it when it leaves. Join does not read from m: use AddConn for
// stream connections.
func (h *Hub) Join(m Member, max int) bool {
	ok, _ := h.join(m, max)
	return ok
}

// join is Join; due, when not nil, is m's stdinDue: stdin was holding a
// chunk (or its EOF) for the next member, which m now is, and due is
// closed once it has gone to m. The caller keeps due itself: the hub hands
// it from m's state to RunStdin when it takes the members to send to.
func (h *Hub) join(m Member, max int) (ok bool, due chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || (max >= 0 && len(h.members) >= max) {
		return false, nil
	}
	st := &memberState{}
	if h.o.IdleTimeout > 0 {
		st.idle = newIdleWatch(h.o.IdleTimeout)
	}
	if ep, ok := m.(conntrack.Endpoint); ok {
		st.track = h.o.Conns.TrackConn(ep)
	}
	h.members[m] = st
	if h.joined != nil {
		close(h.joined)
		h.joined = nil
	}
	if h.stdinHeld {
		st.stdinDue = make(chan struct{})
	}
	return true, st.stdinDue
}

// Leave removes m and closes it.
func (h *Hub) Leave(m Member) {
	h.mu.Lock()
	st, ok := h.members[m]
	delete(h.members, m)
	if ok && st.stdinDue != nil {
		close(st.stdinDue) // it will not be sent: nothing to wait for
		st.stdinDue = nil
	}
	h.mu.Unlock()
	if ok {
		st.track.Close()
		m.Close()
	}
}

// Touch records activity of m for its idle timeout.
func (h *Hub) Touch(m Member) {
	h.mu.Lock()
	st := h.members[m]
	h.mu.Unlock()
	if st != nil {
		st.idle.touch()
	}
}

// AddConn joins c (see Join) and serves it until its EOF, error or idle
// timeout, or until the hub closes. It reports false, and closes nothing,
// when c could not join. What c has already sent is read, and written to
// stdout, before AddConn returns, so AddConn may wait for stdout; it never
// writes to c.
func (h *Hub) AddConn(c net.Conn, max int) bool {
	ok, due := h.join(c, max)
	if !ok {
		return false
	}
	if h.o.SendOnly { // --send-only never reads; a member stays until a write to it fails
		return true
	}
	h.mu.Lock()
	st := h.members[c]
	h.mu.Unlock()
	if st == nil {
		return true // the hub closed in between, and closed c
	}
	r := h.newMemberReader(c, st)
	r.due = due
	// A chunk stdin holds for the next member goes to c first, as ncat
	// serves stdin before a new client: c must not be read to its EOF and
	// closed before RunStdin has written to it.
	if due == nil && r.readReady() {
		r.release()
		h.Leave(c)
		return true
	}
	h.wg.Go(r.serve)
	return true
}

// Output writes one member's chunk to stdout (and the session log), whole.
func (h *Hub) Output(chunk []byte) { h.OutputFrom(nil, chunk) }

// OutputFrom is Output for a chunk that member m sent (a UDP peer), which
// counts it as m's in the connection table.
func (h *Hub) OutputFrom(m Member, chunk []byte) {
	if m != nil && h.o.Conns != nil {
		h.mu.Lock()
		st := h.members[m]
		h.mu.Unlock()
		if st != nil {
			st.track.AddIn(int64(len(chunk)))
		}
	}
	if h.o.SendOnly {
		return // --send-only: what members send is never relayed
	}
	h.o.Log.Record(chunk)
	h.write(chunk)
}

// write puts one chunk on stdout, whole, then the -d delay.
func (h *Hub) write(chunk []byte) {
	if len(chunk) == 0 {
		return
	}
	h.outMu.Lock()
	defer h.outMu.Unlock()
	if _, err := h.stdout.Write(chunk); err != nil && h.OnOutputError != nil {
		h.outputFailed.Do(func() { h.OnOutputError(err) })
	}
	if h.o.Delay > 0 {
		time.Sleep(h.o.Delay)
	}
}

// RunStdin reads stdin while members are connected and sends each chunk to
// every member. At stdin EOF it half-closes every member (unless
// NoShutdown) and returns nil; it returns ctx's error when ctx ends first.
// With RecvOnly it does not read stdin at all (as upstream ncat since 7.94),
// so a listener whose stdin is at EOF never half-closes its clients.
func (h *Hub) RunStdin(ctx context.Context, stdin io.Reader) error {
	if h.o.RecvOnly {
		<-ctx.Done()
		return ctx.Err()
	}
	stop := context.AfterFunc(ctx, func() {
		if dr, ok := stdin.(deadlineReader); ok {
			dr.SetReadDeadline(time.Now())
		}
	})
	defer stop()
	var crlf *crlfConverter
	if h.o.CRLF {
		crlf = new(crlfConverter)
	}
	size := streamChunk
	if h.o.Datagram {
		size = h.o.datagramSize()
	}
	buf := make([]byte, size)
	for {
		n, err := stdin.Read(buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 {
			chunk := buf[:n]
			if crlf != nil {
				chunk = crlf.convert(chunk)
			}
			if err := h.broadcast(ctx, chunk); err != nil {
				return err
			}
			if h.o.Delay > 0 {
				time.Sleep(h.o.Delay)
			}
		}
		if err != nil { // io.EOF, or a stdin that cannot be read any more
			return h.stdinDone(ctx)
		}
	}
}

func (h *Hub) waitForMember(ctx context.Context) error {
	for {
		h.mu.Lock()
		n := len(h.members)
		if n == 0 {
			h.stdinHeld = true
			if h.joined == nil {
				h.joined = make(chan struct{})
			}
		}
		joined := h.joined
		h.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-joined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// broadcast writes chunk to every member; a member whose write fails
// leaves. If every member left while stdin was being read, the chunk waits
// for the next one to join.
func (h *Hub) broadcast(ctx context.Context, chunk []byte) error {
	for {
		members, states, dues := h.takeMembers()
		if len(members) > 0 {
			h.o.Log.Record(chunk)
			for i, m := range members {
				n, err := m.Write(chunk)
				states[i].track.AddOut(int64(n))
				if err != nil {
					h.Leave(m)
				} else {
					states[i].idle.touch()
				}
				closeDue(dues[i])
			}
			return nil
		}
		if err := h.waitForMember(ctx); err != nil {
			return err
		}
	}
}

// stdinDone half-closes every member at stdin's EOF. ncat reads stdin only
// while a client is connected, so an EOF that comes while nobody is takes
// effect when the next member joins: only then does it half-close (that
// member) and count as the end of stdin for --send-only and -q.
func (h *Hub) stdinDone(ctx context.Context) error {
	for {
		if err := h.waitForMember(ctx); err != nil {
			return err
		}
		// The member that ended the wait may have left already: then the
		// EOF waits for the next one, as broadcast's chunk does.
		members, _, dues := h.takeMembers()
		for i, m := range members {
			h.closeWrite(m)
			closeDue(dues[i])
		}
		if len(members) > 0 {
			return nil
		}
	}
}

// takeMembers returns the members that stdin's next chunk (or EOF) goes
// to, their states, and, for each, its stdinDue channel (nil: not owed
// the chunk), which the caller closes once the member has it. If there
// are members, stdin no longer holds the chunk for later ones.
func (h *Hub) takeMembers() ([]Member, []*memberState, []chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	members := make([]Member, 0, len(h.members))
	states := make([]*memberState, 0, len(h.members))
	dues := make([]chan struct{}, 0, len(h.members))
	for m, st := range h.members {
		members = append(members, m)
		states = append(states, st)
		dues = append(dues, st.stdinDue)
		st.stdinDue = nil
	}
	if len(members) > 0 {
		h.stdinHeld = false
	}
	return members, states, dues
}

func closeDue(due chan struct{}) {
	if due != nil {
		close(due)
	}
}

// awaitStdin waits until the chunk stdin held when a member joined has
// been sent to it (due, from join; nil: nothing owed), or the hub is
// aborted.
func (h *Hub) awaitStdin(due chan struct{}) {
	if due != nil {
		select {
		case <-due:
		case <-h.done:
		}
	}
}

// closeWrite half-closes m for stdin's EOF, unless the options keep it.
func (h *Hub) closeWrite(m Member) {
	if h.o.NoShutdown || h.o.Datagram {
		return
	}
	if cw, ok := m.(closeWriter); ok {
		cw.CloseWrite()
	}
}

// Close makes every member leave, refuses new ones, and waits for the
// member goroutines to end.
func (h *Hub) Close() {
	h.Abort()
	h.wg.Wait()
}

// Abort makes every member leave and refuses new ones without waiting for
// the member goroutines: after a signal, one of them may be blocked writing
// a stdout nobody reads, and must not keep gnc alive; they end with the
// process.
func (h *Hub) Abort() {
	h.mu.Lock()
	if !h.closed {
		close(h.done)
	}
	h.closed = true
	members := h.members
	h.members = map[Member]*memberState{}
	h.mu.Unlock()
	for m, st := range members {
		st.track.Close()
		m.Close()
	}
}
