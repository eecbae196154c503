package scan

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// socketProber is the Linux prober. A loopback or LAN host usually answers
// a SYN before connect(2) returns, so it asks the kernel twice without
// waiting (connect, then connect again, which reports the outcome), and
// only a connection still in progress is handed to the runtime's poller.
// A socket whose connection was refused goes back to the closed state and
// serves the next port: socket(2) and close(2) are paid once per open port
// rather than once per port.
type socketProber struct {
	timeout time.Duration
	fd      int // a closed-state socket ready for reuse, or -1
	is6     bool
}

func newSocketProber(timeout time.Duration) prober {
	return &socketProber{timeout: timeout, fd: -1}
}

func (p *socketProber) close() {
	if p.fd >= 0 {
		syscall.Close(p.fd)
		p.fd = -1
	}
}

func (p *socketProber) probe(ctx context.Context, addr netip.AddrPort) error {
	start := time.Now()
	is6 := addr.Addr().Is6()
	if p.fd >= 0 && p.is6 != is6 {
		p.close()
	}
	if p.fd < 0 {
		family := syscall.AF_INET
		if is6 {
			family = syscall.AF_INET6
		}
		fd, err := socket(family)
		if err != nil {
			return &LocalError{Err: err}
		}
		pinPort(fd, family)
		p.fd, p.is6 = fd, is6
	}
	sa := sockaddr(addr)
	err := connect(p.fd, sa)
	if err == syscall.EINPROGRESS {
		err = connect(p.fd, sa) // the outcome, if the kernel has one already
	}
	if err == syscall.EALREADY {
		fd := p.fd
		p.fd = -1 // the poller's file owns it now
		return p.wait(ctx, fd, sa, start)
	}
	switch err {
	case nil, syscall.EISCONN:
		err = p.opened(p.fd)
		p.close()
		return err
	case syscall.ECONNREFUSED:
		return err // the socket is back in the closed state: keep it
	}
	p.close()
	return err
}

// wait lets the runtime's poller wait for a connection in progress on fd,
// bounded by the timeout and ctx, and closes fd.
func (p *socketProber) wait(ctx context.Context, fd int, sa syscall.Sockaddr, start time.Time) error {
	f := os.NewFile(uintptr(fd), "scan") // non-blocking, so pollable
	defer f.Close()
	if p.timeout > 0 {
		f.SetWriteDeadline(start.Add(p.timeout))
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return &LocalError{Err: err}
	}
	var cerr error
	werr := rc.Write(func(fd uintptr) bool {
		cerr = connect(int(fd), sa)
		return cerr != syscall.EALREADY && cerr != syscall.EINPROGRESS
	})
	switch {
	case werr != nil && ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return werr // os.ErrDeadlineExceeded
	case cerr == nil, cerr == syscall.EISCONN:
		var open error
		rc.Control(func(fd uintptr) { open = p.opened(int(fd)) })
		return open
	}
	return cerr
}

// opened checks a connection that succeeded: one whose local end is its
// remote end is a TCP self-connect (the kernel chose the scanned port as
// the source port, which it only does when nothing listens there), so the
// port is reported closed, as net.Dial does.
func (p *socketProber) opened(fd int) error {
	local, err1 := syscall.Getsockname(fd)
	remote, err2 := syscall.Getpeername(fd)
	if err1 != nil || err2 != nil {
		return nil
	}
	if sameSockaddr(local, remote) {
		return syscall.ECONNREFUSED
	}
	return nil
}

func sameSockaddr(a, b syscall.Sockaddr) bool {
	switch a := a.(type) {
	case *syscall.SockaddrInet4:
		b, ok := b.(*syscall.SockaddrInet4)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	case *syscall.SockaddrInet6:
		b, ok := b.(*syscall.SockaddrInet6)
		return ok && a.Port == b.Port && a.Addr == b.Addr
	}
	return false
}

func sockaddr(a netip.AddrPort) syscall.Sockaddr {
	if a.Addr().Is4() {
		return &syscall.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &syscall.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func socket(family int) (int, error) {
	return syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
}

// pinPort binds fd to a local port of its own, so that the socket keeps
// that port from one refused connection to the next: the kernel then skips
// the search for a free ephemeral port that makes up a good part of a
// refused connect(2) on loopback (about a fifth of gnc's time scanning
// 127.0.0.1). The port is one the kernel picked for a helper socket; both
// set SO_REUSEADDR so the second bind succeeds. On any failure fd stays
// unbound and connect(2) picks a port as usual.
func pinPort(fd, family int) {
	helper, err := socket(family)
	if err != nil {
		return
	}
	defer syscall.Close(helper)
	var any syscall.Sockaddr = &syscall.SockaddrInet4{}
	if family == syscall.AF_INET6 {
		any = &syscall.SockaddrInet6{}
	}
	for _, s := range []int{helper, fd} {
		if syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) != nil {
			return
		}
	}
	if syscall.Bind(helper, any) != nil {
		return
	}
	sa, err := syscall.Getsockname(helper)
	if err != nil {
		return
	}
	syscall.Bind(fd, sa)
}

// connect is connect(2), retried on EINTR.
func connect(fd int, sa syscall.Sockaddr) error {
	for {
		err := syscall.Connect(fd, sa)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
