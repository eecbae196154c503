package relay

import (
	"errors"
	"net"
	"os"
	"time"
)

// memberReader copies one stream member's data to the hub's stdout.
type memberReader struct {
	h      *Hub
	c      net.Conn
	st     *memberState
	bufp   *[]byte
	telnet func([]byte) []byte
	due    chan struct{} // see Hub.join; nil: stdin owes c nothing
}

func (h *Hub) newMemberReader(c net.Conn, st *memberState) *memberReader {
	r := &memberReader{h: h, c: c, st: st, bufp: memberBuffers.Get().(*[]byte)}
	if h.o.Telnet {
		r.telnet = telnetTransform(c)
	}
	return r
}

func (r *memberReader) release() {
	if r.bufp != nil {
		memberBuffers.Put(r.bufp)
		r.bufp = nil
	}
}

// inlineReads bounds the reads readReady makes on the accepting goroutine,
// so that a client already streaming cannot hold up the next accept.
const inlineReads = 4

// readReady reads what c already holds, without waiting, on the caller's
// goroutine (the accept loop's). A short connection whose data and FIN
// came in before it was accepted is then served whole there: no goroutine
// of its own, and none of the hand-off to another thread that starting one
// costs, which on a small machine is most of a short connection's latency.
// It reports true when c is done (EOF or error) and false when c is still
// open and serve must go on.
func (r *memberReader) readReady() bool {
	// Only the plain case: serve owns -i's read deadlines, and neither -d's
	// sleeps nor -t's replies (written to a client that may not read) may
	// hold up accepting.
	if r.st.idle != nil || r.h.o.Delay > 0 || r.telnet != nil {
		return false
	}
	buf := *r.bufp
	for range inlineReads {
		n, err := readNow(r.c, buf)
		if n > 0 {
			r.deliver(buf[:n])
		}
		switch {
		case errors.Is(err, errWouldBlock):
			return false
		case err != nil:
			return true
		case n == 0:
			return false // readNow cannot read c this way
		}
	}
	return false
}

// serve reads c until EOF, error or idle timeout, then leaves the hub.
func (r *memberReader) serve() {
	h, c, st := r.h, r.c, r.st
	defer h.Leave(c)
	defer r.release()
	defer h.awaitStdin(r.due) // a client that sends and closes at once still gets what stdin held
	buf := *r.bufp
	for {
		if st.idle != nil {
			c.SetReadDeadline(time.Now().Add(st.idle.remaining()))
		}
		n, err := c.Read(buf)
		if n > 0 {
			r.deliver(buf[:n])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && st.idle != nil {
			if st.idle.remaining() > 0 {
				continue
			}
			h.logf("Idle timeout expired (%d ms); closing %s.", h.o.IdleTimeout.Milliseconds(), c.RemoteAddr())
		}
		return
	}
}

// deliver puts one chunk the member sent on stdout.
func (r *memberReader) deliver(chunk []byte) {
	r.st.idle.touch()
	r.st.track.AddIn(int64(len(chunk)))
	r.h.o.Log.Record(chunk)
	if r.telnet != nil {
		chunk = r.telnet(chunk)
	}
	r.h.write(chunk)
}
