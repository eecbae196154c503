package relay

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// spliceChunk is how much one splice(2) call may move.
const spliceChunk = 1 << 20

// copyStdin copies stdin to a stream connection. When stdin is a pollable
// pipe it moves the bytes with splice(2), pipe to socket, with no copy
// through user space (Go's io.Copy splices only from sockets and sendfiles
// only from regular files). Otherwise it is io.Copy, which already takes
// sendfile for a regular file.
func copyStdin(conn net.Conn, stdin io.Reader) (int64, error) {
	f, ok := stdin.(*os.File)
	dst, isStream := conn.(syscall.Conn)
	if !ok || !isStream || !isPipe(f) || f.SetReadDeadline(time.Time{}) != nil {
		return io.Copy(conn, stdin)
	}
	switch c := conn.(type) {
	case *net.TCPConn:
	case *net.UnixConn:
		if c.LocalAddr().Network() != "unix" {
			return io.Copy(conn, stdin)
		}
	default:
		return io.Copy(conn, stdin)
	}
	return spliceFromPipe(dst, f)
}

func isPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}

func spliceFromPipe(dst syscall.Conn, src *os.File) (int64, error) {
	srcRaw, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	dstRaw, err := dst.SyscallConn()
	if err != nil {
		return 0, err
	}
	var total int64
	var spliceErr error
	eof := false
	// The pipe's read callback runs the splices inside the socket's write
	// callback: each side's poller waits for its own readiness, and both
	// descriptors stay valid while they are used.
	readErr := srcRaw.Read(func(sfd uintptr) bool {
		pipeEmpty := false
		writeErr := dstRaw.Write(func(dfd uintptr) bool {
			for {
				n, err := syscall.Splice(int(sfd), nil, int(dfd), nil, spliceChunk, spliceFlags)
				switch {
				case n > 0:
					total += n
				case err == syscall.EINTR:
				case n == 0 && err == nil:
					eof = true
					return true
				case err == syscall.EAGAIN:
					// Either side may have said EAGAIN, and either may have
					// changed since: an empty pipe waits for data (the
					// poller records data that came after the read began);
					// a socket that is still full waits to drain; anything
					// else is tried again at once.
					if pipeIsEmpty(sfd) {
						pipeEmpty = true
						return true
					}
					if !socketWritable(dfd) {
						return false
					}
				default:
					spliceErr = os.NewSyscallError("splice", err)
					return true
				}
			}
		})
		if writeErr != nil {
			spliceErr = &net.OpError{Op: "write", Net: "splice", Err: writeErr}
			return true
		}
		return !pipeEmpty // an empty pipe: wait until readable, then again
	})
	switch {
	case spliceErr != nil:
		return total, spliceErr
	case readErr != nil:
		return total, readErr
	case !eof:
		return total, errors.New("splice stopped early")
	}
	return total, nil
}

const spliceFlags = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK

func socketWritable(fd uintptr) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1 && fds[0].Revents&unix.POLLOUT != 0
}

func pipeIsEmpty(fd uintptr) bool {
	n, err := unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	return err != nil || n == 0
}
