package relay

import (
	"io"
	"net"
	"sync"
	"syscall"
)

// toConnBuffers and fromConnBuffers are the buffers of user-space stream
// copies for connections without a file descriptor (TLS): sessions come and
// go under -k, and the buffer of each is reused rather than allocated. Copies into TLS take
// 128 KiB chunks: a TLS connection sends each chunk's records with one
// socket write, so a chunk of eight records costs the sender and the woken
// receiver one system call each, not eight. Copies out of TLS get at most
// one record (16 KiB) per Read, so a smaller buffer does.
var (
	toConnBuffers   = bufferPool(128 << 10)
	fromConnBuffers = bufferPool(32 << 10)
)

func bufferPool(size int) *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, size)
		return &b
	}}
}

// wrapped reports whether c is a connection the kernel cannot move bytes
// for (no file descriptor: TLS, DTLS), which is copied in user space. A
// wrapper with its own ReadFrom and WriteTo (a proxied connection handing
// over early bytes) passes the copy on to its socket, so it is not.
func wrapped(c net.Conn) bool {
	switch c.(type) {
	case syscall.Conn:
		return false
	case interface {
		io.ReaderFrom
		io.WriterTo
	}:
		return false
	}
	return true
}

// copyPooled copies src to dst with a buffer from pool until src's EOF, adds
// each write to counted (the connection table's count), and
// tells a read error from a write error: for a TLS connection those are
// alerts and record errors that no errno classifies. Calling Read and
// Write directly keeps io.Copy's ReaderFrom/WriterTo paths, which would
// allocate a buffer of their own, out of the way.
func copyPooled(dst io.Writer, src io.Reader, pool *sync.Pool, counted func(int64)) (n int64, readErr, writeErr error) {
	bp := pool.Get().(*[]byte)
	defer pool.Put(bp)
	buf := *bp
	for {
		nr, err := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			counted(int64(nw))
			if werr != nil {
				return n, nil, werr
			}
		}
		if err == io.EOF {
			return n, nil, nil
		}
		if err != nil {
			return n, err, nil
		}
	}
}
