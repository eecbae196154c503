// Package conntrack keeps gnc's table of its own sockets: the listeners and
// live connections of a run, with byte counters the data path adds to,
// kernel queue sizes and TCP state read from each socket when asked, and
// renderers for the table (text for SIGUSR1, JSON and Prometheus text for
// --status). It does not move bytes, listen or accept: the modes register
// what they open and count what they copy.
//
// Every method is safe on a nil *Registry and a nil *Conn, where it does
// nothing, so a mode without a table costs one nil check per call.
//
// Typical use by a server (a proxy server, an exec listener):
//
//	l := reg.TrackListener(ln.Addr(), ln) // listed until l.Close()
//	defer l.Close()
//	// for each accepted conn:
//	reg.CountAccepted()                   // or reg.CountDenied() and close it
//	t := reg.TrackConn(conn)              // or hand relay.Options{Conns: reg} to relay.Run
//	defer t.Close()
//	n, err := src.Read(buf); t.AddIn(int64(n)) ... // count what each copy returns
package conntrack

import (
	"cmp"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Registry is the table of one run. Its zero value is not usable: call New.
type Registry struct {
	now func() time.Time

	mu     sync.Mutex
	conns  map[*Conn]struct{}
	nextID uint64
	// closedIn and closedOut hold the bytes of connections that are gone,
	// so the totals never go down. They change with conns, under mu, so a
	// closing connection is counted once, live or closed.
	closedIn, closedOut int64

	accepted, denied, dropped atomic.Int64
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{now: time.Now, conns: map[*Conn]struct{}{}}
}

// Conn is one entry of the table: a connection, a UDP peer behind a shared
// socket, or a listening socket. Close removes it.
type Conn struct {
	reg      *Registry
	id       uint64
	proto    string
	local    string
	remote   string
	listener bool
	start    time.Time
	raw      syscall.RawConn // nil: no kernel view (a UDP peer, a wrapper)
	// wrapped says raw is the socket under a wrapper (TLS): the kernel's
	// byte counts are not the payload's.
	wrapped bool

	in, out atomic.Int64
	// kernelIn and kernelOut mark a direction whose copy reports only
	// when it returns (see KernelCount); baseIn and baseOut are what the
	// kernel's counter of that direction exceeded the count by when the
	// copy started (a dialed socket's SYN, bytes sent before the entry
	// was made). Each base is stored before its flag is set.
	kernelIn, kernelOut atomic.Bool
	baseIn, baseOut     atomic.Int64

	mu     sync.Mutex
	name   string
	queued func() int64
	closed bool
}

// Endpoint is what a connection or peer shows of its addresses.
type Endpoint interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// TrackConn adds a connection (or any endpoint with two addresses, such as
// a UDP peer of a shared socket) to the table. When c, or the connection a
// wrapper such as *tls.Conn returns from NetConn, is a syscall.Conn, the
// table shows the socket's state and queues.
func (r *Registry) TrackConn(c Endpoint) *Conn {
	if r == nil {
		return nil
	}
	c2 := r.add(c.LocalAddr(), c.RemoteAddr(), rawOf(c), false)
	_, direct := c.(syscall.Conn)
	c2.wrapped = c2.raw != nil && !direct
	return c2
}

// TrackSocket is TrackConn for a socket whose addresses the caller gives:
// a UDP socket connected to its peer by a system call, which Go's
// RemoteAddr does not know.
func (r *Registry) TrackSocket(sock any, local, remote net.Addr) *Conn {
	if r == nil {
		return nil
	}
	return r.add(local, remote, rawOf(sock), false)
}

// TrackPeer adds a peer with no socket of its own (a UDP peer of a shared
// socket): the table shows its addresses and counts, and no kernel view.
func (r *Registry) TrackPeer(local, remote net.Addr) *Conn {
	if r == nil {
		return nil
	}
	return r.add(local, remote, nil, false)
}

// TrackListener adds a listening socket (a net.Listener, or a
// net.PacketConn bound for listen mode) to the table.
func (r *Registry) TrackListener(addr net.Addr, sock any) *Conn {
	if r == nil {
		return nil
	}
	return r.add(addr, nil, rawOf(sock), true)
}

func (r *Registry) add(local, remote net.Addr, raw syscall.RawConn, listener bool) *Conn {
	c := &Conn{reg: r, proto: protoOf(local), local: addrString(local), remote: addrString(remote),
		listener: listener, start: r.now(), raw: raw}
	if remote == nil {
		c.remote = wildcard(local)
	}
	r.mu.Lock()
	r.nextID++
	c.id = r.nextID
	r.conns[c] = struct{}{}
	r.mu.Unlock()
	return c
}

// CountAccepted counts a connection (or new UDP peer) a listener admitted.
func (r *Registry) CountAccepted() {
	if r != nil {
		r.accepted.Add(1)
	}
}

// CountDenied counts a connection a listener refused (-m, --deny...).
func (r *Registry) CountDenied() {
	if r != nil {
		r.denied.Add(1)
	}
}

// CountDropped counts a broker member disconnected as too slow.
func (r *Registry) CountDropped() {
	if r != nil {
		r.dropped.Add(1)
	}
}

// AddIn counts n bytes received from the peer.
func (c *Conn) AddIn(n int64) {
	if c != nil && n > 0 {
		c.in.Add(n)
	}
}

// AddOut counts n bytes sent to the peer.
func (c *Conn) AddOut(n int64) {
	if c != nil && n > 0 {
		c.out.Add(n)
	}
}

// KernelCount prepares a copy that moves a whole direction in one call
// and can report its bytes only when it returns (io.Copy on a zero-copy
// path: sendfile from a file, splice into a file). If the kernel keeps
// byte counters for c's socket (TCP on Linux), it reports true, and until
// done is called the table reads that direction's count from them: bytes
// received less those still queued to be read, or bytes acknowledged plus
// those queued to be sent, each less what the counter exceeded c's count
// by when KernelCount ran (the SYN a dialed socket counts, bytes moved
// before c was made). So no other copy may move that direction's bytes
// meanwhile. done adds the copy's total. If it reports false, the caller
// must count as it goes instead. in says which direction: from the peer
// (true) or to it.
func (c *Conn) KernelCount(in bool) (done func(n int64), ok bool) {
	if c == nil || c.raw == nil || c.wrapped || (c.proto != "tcp" && c.proto != "tcp6") || !kernelCounters {
		return nil, false
	}
	k, ok := readSocket(c.raw, c.proto, c.listener)
	if !ok || k.read < 0 || k.written < 0 {
		return nil, false
	}
	flag, count, base, kernel := &c.kernelOut, &c.out, &c.baseOut, k.written
	if in {
		flag, count, base, kernel = &c.kernelIn, &c.in, &c.baseIn, k.read
	}
	base.Store(kernel - count.Load())
	flag.Store(true)
	return func(n int64) {
		count.Add(n)
		flag.Store(false)
	}, true
}

// SetName sets the name the table shows (a chat member's nick).
func (c *Conn) SetName(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
}

// SetQueued sets how the table learns the bytes waiting in gnc's own queue
// for this peer (a broker member's). f is called without any lock of the
// registry held and must not block.
func (c *Conn) SetQueued(f func() int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.queued = f
	c.mu.Unlock()
}

// Close removes c from the table; its bytes stay in the totals. Closing
// twice is harmless.
func (c *Conn) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	closed := c.closed
	c.closed = true
	c.mu.Unlock()
	if closed {
		return
	}
	r := c.reg
	r.mu.Lock()
	delete(r.conns, c)
	r.closedIn += c.in.Load()
	r.closedOut += c.out.Load()
	r.mu.Unlock()
}

// Row is one line of the table as it was when Snapshot ran.
type Row struct {
	Proto    string `json:"proto"`
	Local    string `json:"local"`
	Remote   string `json:"remote"`
	State    string `json:"state"`
	Listener bool   `json:"listener"`
	// Age is how long the entry has existed.
	Age      time.Duration `json:"-"`
	BytesIn  int64         `json:"bytes_in"`
	BytesOut int64         `json:"bytes_out"`
	// RecvQ and SendQ are the kernel's queues as netstat shows them (for a
	// TCP listener: the accept queue and its bound); -1 when unknown.
	RecvQ int64 `json:"recv_q"`
	SendQ int64 `json:"send_q"`
	// Name and Queued are a broker member's; Queued is -1 otherwise.
	Name   string `json:"name,omitempty"`
	Queued int64  `json:"queued"`
}

// Totals are the run's counters.
type Totals struct {
	Accepted, Denied, Dropped int64
	Active, Listeners         int64
	BytesIn, BytesOut         int64
}

// Snapshot returns the table, listeners first, then connections in the
// order they were added, and the totals.
func (r *Registry) Snapshot() ([]Row, Totals) {
	if r == nil {
		return nil, Totals{}
	}
	now := r.now()
	t := Totals{Accepted: r.accepted.Load(), Denied: r.denied.Load(), Dropped: r.dropped.Load()}
	r.mu.Lock()
	conns := make([]*Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	t.BytesIn, t.BytesOut = r.closedIn, r.closedOut
	r.mu.Unlock()
	slices.SortFunc(conns, func(a, b *Conn) int {
		if a.listener != b.listener {
			if a.listener {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	rows := make([]Row, 0, len(conns))
	for _, c := range conns {
		row := c.row(now)
		if c.listener {
			t.Listeners++
		} else {
			t.Active++
		}
		t.BytesIn += row.BytesIn
		t.BytesOut += row.BytesOut
		rows = append(rows, row)
	}
	return rows, t
}

// Bytes returns the run's bytes received and sent so far, live connections
// included; it is cheaper than Snapshot (no kernel queries).
func (r *Registry) Bytes() (in, out int64) {
	if r == nil {
		return 0, 0
	}
	r.mu.Lock()
	in, out = r.closedIn, r.closedOut
	var kernel []*Conn
	for c := range r.conns {
		if c.kernelIn.Load() || c.kernelOut.Load() {
			kernel = append(kernel, c)
			continue
		}
		in += c.in.Load()
		out += c.out.Load()
	}
	r.mu.Unlock()
	for _, c := range kernel { // outside the lock: these ask the kernel
		ci, co := c.in.Load(), c.out.Load()
		if k, ok := readSocket(c.raw, c.proto, c.listener); ok {
			c.kernelBytes(&ci, &co, k)
		}
		in += ci
		out += co
	}
	return in, out
}

func (c *Conn) row(now time.Time) Row {
	row := Row{Proto: c.proto, Local: c.local, Remote: c.remote, Listener: c.listener,
		Age: now.Sub(c.start), BytesIn: c.in.Load(), BytesOut: c.out.Load(), RecvQ: -1, SendQ: -1, Queued: -1}
	c.mu.Lock()
	row.Name = c.name
	queued := c.queued
	c.mu.Unlock()
	if queued != nil {
		row.Queued = queued()
	}
	row.State = "-"
	if c.raw != nil {
		if k, ok := readSocket(c.raw, c.proto, c.listener); ok {
			row.State, row.RecvQ, row.SendQ = k.state, k.recvQ, k.sendQ
			c.kernelBytes(&row.BytesIn, &row.BytesOut, k)
		}
	}
	if row.State == "-" && c.listener {
		row.State = listenState(c.proto)
	}
	return row
}

// kernelBytes raises the counts of the directions whose copy is in
// progress (KernelCount) to what the kernel's counters say.
func (c *Conn) kernelBytes(in, out *int64, k kernelView) {
	if c.kernelIn.Load() && k.read >= 0 {
		*in = max(*in, k.read-c.baseIn.Load())
	}
	if c.kernelOut.Load() && k.written >= 0 {
		*out = max(*out, k.written-c.baseOut.Load())
	}
}

// listenState is what a listening socket is called when the kernel does not
// say: LISTEN for streams; UNCONN (as ss(8) says) for datagram sockets.
func listenState(proto string) string {
	switch proto {
	case "udp", "udp6", "unixgram":
		return "UNCONN"
	}
	return "LISTEN"
}

// kernelView is what the kernel says of a socket.
type kernelView struct {
	state        string
	recvQ, sendQ int64
	// read and written are the payload bytes the process has read from
	// and written to a TCP socket, from the kernel's counters; -1 when
	// unknown.
	read, written int64
}

func rawOf(x any) syscall.RawConn {
	for range 4 { // unwrap a few layers of NetConn (TLS)
		if sc, ok := x.(syscall.Conn); ok {
			raw, err := sc.SyscallConn()
			if err != nil {
				return nil
			}
			return raw
		}
		w, ok := x.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		x = w.NetConn()
	}
	return nil
}

// protoOf names the protocol as netstat does: tcp, tcp6, udp, udp6, unix,
// unixgram.
func protoOf(a net.Addr) string {
	if a == nil {
		return "-"
	}
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	default:
		return a.Network()
	}
	p := a.Network()
	if ip.To4() == nil && ip.To16() != nil {
		p += "6"
	}
	return p
}

func addrString(a net.Addr) string {
	if a == nil {
		return "-"
	}
	s := a.String()
	if s == "" || s == "@" {
		if _, ok := a.(*net.UnixAddr); ok {
			return "-" // an unnamed Unix socket, as netstat shows nothing
		}
	}
	return s
}

// wildcard is a listener's remote address as netstat writes it.
func wildcard(local net.Addr) string {
	switch protoOf(local) {
	case "tcp", "udp":
		return "0.0.0.0:*"
	case "tcp6", "udp6":
		return "[::]:*"
	}
	return "-"
}
