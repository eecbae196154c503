package proxyserver

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"gnc/internal/conntrack"
	"gnc/internal/transport"
)

// closeWriter is a connection that can half-close (TCP, Unix, TLS).
type closeWriter interface{ CloseWrite() error }

var _ closeWriter = (*net.TCPConn)(nil)

// tunnel moves bytes both ways between a client and its target until both
// directions end, then returns the bytes sent each way. A direction that
// reaches EOF half-closes its destination; an error in either direction
// closes both connections, which ends the other. With idle > 0 the tunnel
// closes both after idle with no data either way and reports expired.
// The caller closes both connections afterwards. track, if not nil, is a's
// entry in the connection table, counting what a sends and receives.
type tunnel struct {
	idle    time.Duration
	last    atomic.Int64 // UnixNano of the last read that moved data
	expired atomic.Bool
	once    sync.Once
	a, b    net.Conn
	track   *conntrack.Conn
}

// copyResult is what one direction of a tunnel did.
type copyResult struct {
	n   int64
	err error
}

func newTunnel(a, b net.Conn, idle time.Duration) *tunnel {
	t := &tunnel{a: a, b: b, idle: idle}
	t.last.Store(time.Now().UnixNano())
	return t
}

// run copies both ways and waits for both copiers.
func (t *tunnel) run() (up, down int64) {
	upc := make(chan copyResult, 1)
	downc := make(chan copyResult, 1)
	// One direction runs here: a tunnel costs one goroutine, not two,
	// which shows on short tunnels where the hand-offs are the work.
	go t.proxyCopy(downc, t.a, t.b, false)
	t.proxyCopy(upc, t.b, t.a, true)
	u, d := <-upc, <-downc
	return u.n, d.n
}

// proxyCopy is one direction of a tunnel, named for goroutine dumps. in
// says it is the direction from a (the client) to b.
func (t *tunnel) proxyCopy(out chan<- copyResult, dst, src net.Conn, in bool) {
	n, err := t.copy(dst, src, in)
	if err == nil {
		if cw, ok := dst.(closeWriter); ok {
			err = cw.CloseWrite()
		} else {
			err = dst.Close()
		}
	}
	if err != nil {
		t.abort()
	}
	out <- copyResult{n, err}
}

// abort closes both ends, ending whichever direction still runs.
func (t *tunnel) abort() {
	t.once.Do(func() {
		t.a.Close()
		t.b.Close()
	})
}

// copy is io.Copy (splice between bare TCP connections), or, with an idle
// timeout, a timed user-space copy. Either counts its bytes into t.track
// as it goes: in says whether they come from a (the client) or go to it.
func (t *tunnel) copy(dst, src net.Conn, in bool) (int64, error) {
	if t.idle <= 0 {
		return conntrack.Copy(dst, src, t.track, in)
	}
	buf := make([]byte, 32<<10)
	var written int64
	deadline := time.Now().Add(t.idle)
	src.SetReadDeadline(deadline)
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			now := time.Now()
			t.last.Store(now.UnixNano())
			nw, werr := dst.Write(buf[:nr])
			written += int64(nw)
			if in {
				t.track.AddIn(int64(nw))
			} else {
				t.track.AddOut(int64(nw))
			}
			if werr != nil {
				return written, werr
			}
			// Move the deadline only once it is near: a deadline set
			// per read would cost a timer update for every chunk.
			if deadline.Sub(now) < t.idle/2 {
				deadline = now.Add(t.idle)
				src.SetReadDeadline(deadline)
			}
		}
		switch {
		case rerr == nil:
			continue
		case errors.Is(rerr, io.EOF):
			return written, nil
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			last := time.Unix(0, t.last.Load())
			if since := time.Since(last); since < t.idle {
				deadline = last.Add(t.idle)
				src.SetReadDeadline(deadline)
				continue
			}
			t.expired.Store(true)
		}
		return written, rerr
	}
}

// runTunnel runs a CONNECT tunnel between a client and its target and
// logs its end under -vv.
func (s *server) runTunnel(client *clientConn, target net.Conn) {
	t := newTunnel(client.Conn, target, s.o.IdleTimeout)
	t.track = client.track
	up, down := t.run()
	if t.expired.Load() {
		s.logf("Idle timeout expired (%d ms).", s.o.IdleTimeout.Milliseconds())
	}
	s.debugf("%s: tunnel closed, %d bytes sent, %d bytes received", transport.FormatAddr(client.RemoteAddr()), up, down)
}

// runOneWay copies a forwarded request's response from target to client.
func (s *server) runOneWay(client *clientConn, target net.Conn) {
	t := newTunnel(client.Conn, target, s.o.IdleTimeout)
	t.track = client.track
	n, _ := t.copy(client.Conn, target, false)
	if t.expired.Load() {
		s.logf("Idle timeout expired (%d ms).", s.o.IdleTimeout.Milliseconds())
	}
	s.debugf("%s: response of %d bytes relayed", transport.FormatAddr(client.RemoteAddr()), n)
}

// idleLog logs an idle timeout that ended a read.
func (s *server) idleLog(err error) {
	if s.o.IdleTimeout > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		s.logf("Idle timeout expired (%d ms).", s.o.IdleTimeout.Milliseconds())
	}
}
