package relay

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gnc/internal/conntrack"
)

// spliceChunk is how much one splice(2) call may move.
const spliceChunk = 1 << 20

// copyStdin copies stdin to a stream connection. When stdin is a pollable
// pipe it moves the bytes with splice(2), pipe to socket, with no copy
// through user space (Go's io.Copy splices only from sockets and sendfiles
// only from regular files). Otherwise it is io.Copy, which already takes
// sendfile for a regular file. t, if not nil, counts the bytes sent as
// they go (see conntrack.Copy).
func copyStdin(conn net.Conn, stdin io.Reader, t *conntrack.Conn) (int64, error) {
	f, ok := stdin.(*os.File)
	dst, isConn := conn.(syscall.Conn)
	if !ok || !isConn || !isStreamSocket(conn) || !isPipe(f) || f.SetReadDeadline(time.Time{}) != nil {
		return conntrack.Copy(conn, stdin, t, false)
	}
	growPipe(f)
	return spliceFromPipe(dst, f, t.AddOut)
}

// pipeSize is the capacity gnc asks for on its stdin and stdout pipes: the
// default 64 KiB makes the process at the other end wake sixteen times per
// mebibyte. A refusal (a per-user limit) leaves the pipe as it was.
const pipeSize = 1 << 20

func growPipe(f *os.File) {
	if sc, err := f.SyscallConn(); err == nil {
		sc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	}
}

func isPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeNamedPipe != 0
}

// rawConns gives the raw descriptors of both ends of a splice.
func rawConns(src, dst syscall.Conn) (syscall.RawConn, syscall.RawConn, error) {
	srcRaw, err := src.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	dstRaw, err := dst.SyscallConn()
	return srcRaw, dstRaw, err
}

func spliceFromPipe(dst syscall.Conn, src *os.File, count func(int64)) (int64, error) {
	srcRaw, dstRaw, err := rawConns(src, dst)
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
					count(n)
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

// copyToStdout copies a stream connection to stdout. When stdout is a pipe
// (not in the poller: gnc never changes its mode, which it may share with
// other processes) it splices socket to pipe in one step (Go's own path
// splices through an intermediate pipe, two calls per chunk); otherwise it
// is io.Copy, which splices to a file or /dev/null. t, if not nil, counts
// the bytes received as they go (see conntrack.Copy).
func copyToStdout(stdout io.Writer, conn net.Conn, t *conntrack.Conn) (int64, error) {
	f, ok := stdout.(*os.File)
	src, isConn := conn.(syscall.Conn)
	if !ok || !isConn || !isPipe(f) || !isStreamSocket(conn) {
		return conntrack.Copy(stdout, conn, t, true)
	}
	growPipe(f)
	return spliceToPipe(f, src, t.AddIn)
}

func isStreamSocket(c net.Conn) bool {
	switch c := c.(type) {
	case *net.TCPConn:
		return true
	case *net.UnixConn:
		return c.LocalAddr().Network() == "unix"
	}
	return false
}

func spliceToPipe(dst *os.File, src syscall.Conn, count func(int64)) (int64, error) {
	srcRaw, dstRaw, err := rawConns(src, dst)
	if err != nil {
		return 0, err
	}
	var total int64
	var spliceErr error
	eof := false
	for !eof && spliceErr == nil {
		pipeFull := false
		readErr := srcRaw.Read(func(sfd uintptr) bool {
			socketEmpty := false
			dstRaw.Control(func(dfd uintptr) {
				for {
					n, err := syscall.Splice(int(sfd), nil, int(dfd), nil, spliceChunk, spliceFlags)
					switch {
					case n > 0:
						total += n
						count(n)
					case err == syscall.EINTR:
					case n == 0 && err == nil:
						eof = true
						return
					case err == syscall.EAGAIN:
						// An empty socket waits in the poller; otherwise
						// the pipe is full, or data came just now.
						if socketIsEmpty(sfd) {
							socketEmpty = true
						} else {
							pipeFull = true
						}
						return
					default:
						spliceErr = os.NewSyscallError("splice", err)
						return
					}
				}
			})
			return !socketEmpty
		})
		if readErr != nil && spliceErr == nil {
			return total, readErr
		}
		if pipeFull {
			// Wait for room outside the socket's callback: a blocking
			// wait there would hold the socket, and Close would wait
			// for it. stdout is not in the poller, so poll(2) it.
			if err := waitWritable(dstRaw); err != nil {
				return total, err
			}
		}
	}
	return total, spliceErr
}

// socketIsEmpty reports whether a socket has no bytes to read.
func socketIsEmpty(fd uintptr) bool {
	n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ)
	return err != nil || n == 0
}

// waitWritable blocks until the descriptor behind raw can be written.
func waitWritable(raw syscall.RawConn) error {
	var perr error
	raw.Control(func(fd uintptr) {
		for {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if _, perr = unix.Poll(fds, -1); perr != unix.EINTR {
				return
			}
		}
	})
	return perr
}
