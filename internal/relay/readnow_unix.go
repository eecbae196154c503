//go:build unix

package relay

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// errWouldBlock is readNow's answer when c has nothing to read yet.
var errWouldBlock = errors.New("would block")

// readNow makes one read from c that does not wait: data, io.EOF,
// errWouldBlock or another error. It returns 0, nil when c is not a bare
// TCP or Unix socket (TLS) or buf is empty.
func readNow(c net.Conn, buf []byte) (int, error) {
	var sc syscall.Conn
	switch c := c.(type) { // sockets only: a wrapper's own Read must not be bypassed
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return 0, nil
	}
	if len(buf) == 0 {
		return 0, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, nil
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), buf)
			if rerr != syscall.EINTR {
				return true // done either way: never wait here
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN:
		return 0, errWouldBlock
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
