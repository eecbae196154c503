package tlsx

import (
	"crypto/tls"
	"net"
	"sync"
)

// batchConn sits between a tls.Conn and its socket. crypto/tls writes each
// record (16 KiB at most) with a write of its own; while a Conn.Write is
// under way, batchConn gathers them and sends them with one write, so the
// kernel and the peer see one wakeup per chunk instead of one per record.
// Outside a Write (handshake, alerts, close_notify) it passes writes
// straight through.
type batchConn struct {
	net.Conn
	writing sync.Mutex // one Conn.Write (or CloseWrite, Close) at a time
	mu      sync.Mutex // writes to the socket, in crypto/tls's order
	holding bool
	bufp    *[]byte
	// err is the first failed flush: crypto/tls believes those records
	// sent, so the record stream is broken for good and every later write
	// fails, as crypto/tls's own writes do after an error.
	err error
}

// batchBuffers recycle the gathering buffers: a connection holds one only
// during a Write, so thousands of idle TLS clients hold none.
var batchBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 64<<10)
	return &b
}}

// maxPooledBatch is the largest gathering buffer kept for reuse.
const maxPooledBatch = 256 << 10

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.holding {
		*b.bufp = append(*b.bufp, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// hold starts gathering writes.
func (b *batchConn) hold() {
	b.mu.Lock()
	b.holding = true
	b.bufp = batchBuffers.Get().(*[]byte)
	b.mu.Unlock()
}

// flush sends what was gathered since hold, and stops gathering.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = false
	bufp := b.bufp
	b.bufp = nil
	var err error
	if len(*bufp) > 0 {
		_, err = b.Conn.Write(*bufp)
	}
	if err != nil && b.err == nil {
		b.err = err
	}
	*bufp = (*bufp)[:0]
	if cap(*bufp) <= maxPooledBatch { // one huge Write does not stay pinned in the pool
		batchBuffers.Put(bufp)
	}
	return err
}

// NetConn is the socket under b.
func (b *batchConn) NetConn() net.Conn { return b.Conn }

// CloseWrite half-closes the socket, if it can.
func (b *batchConn) CloseWrite() error {
	if cw, ok := b.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Secure returns a TLS client over conn; run Handshake on its Conn field.
func Secure(conn net.Conn, cfg *tls.Config) *Conn {
	b := &batchConn{Conn: conn}
	return &Conn{Conn: tls.Client(b, cfg), batch: b}
}

// SecureServer returns a TLS server over conn; run Handshake on its Conn field.
func SecureServer(conn net.Conn, cfg *tls.Config) *Conn {
	b := &batchConn{Conn: conn}
	return &Conn{Conn: tls.Server(b, cfg), batch: b}
}
