//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// floorProxyCmd ADDR PORT THREADS is the proxy-server floor: a minimal HTTP
// CONNECT proxy (see floorProxy).
const floorProxyCmd = "floor-proxy"

const floorProxyText = "Floor, a minimal CONNECT proxy in the same runs (no tool: as many OS threads as tunnels " +
	"in flight, each serving one tunnel at a time in raw blocking system calls: `accept4`, `read` of the request, " +
	"a blocking `connect`, the 200, then `ppoll` on both sockets with `read` and `write`; × = floor ÷ ncat)"

// floorProxyTool is the proxy floor as a tool, with threads serving
// threads tunnels at once.
func floorProxyTool(threads int) (tool, error) {
	t, err := floorTool()
	if err != nil {
		return tool{}, err
	}
	t.proxy = func(port int) []string {
		return []string{floorProxyCmd, loopback, strconv.Itoa(port), strconv.Itoa(threads)}
	}
	return t, nil
}

// floorProxyMain listens on ADDR PORT and serves tunnels on THREADS
// threads until it is killed.
func floorProxyMain(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: %s ADDR PORT THREADS", floorProxyCmd)
	}
	threads, err := strconv.Atoi(args[2])
	if err != nil || threads < 1 || threads > 64 {
		return fmt.Errorf("%s: bad thread count %q", floorProxyCmd, args[2])
	}
	ln, err := floorListenArgs(floorProxyCmd, args[0], args[1])
	if err != nil {
		return err
	}
	return floorProxy(ln, threads)
}

// floorProxy is the least an HTTP CONNECT proxy can do per tunnel, on
// threads OS threads that each accept and serve one tunnel at a time. A
// thread blocked in a raw system call keeps its P, so there is a P per
// thread; nothing in the loops allocates, so no collection stops them.
func floorProxy(ln, threads int) error {
	runtime.GOMAXPROCS(threads)
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() { errs[i] = floorProxyThread(ln) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// floorProxyThread accepts and serves tunnels on one locked OS thread
// until accept fails for good.
func floorProxyThread(ln int) error {
	return floorAcceptLoop(ln, func(c uintptr, buf []byte) error {
		floorTunnel(int(c), buf)
		return nil
	})
}

// floorTunnel reads client c's CONNECT request, connects to its target (an
// IPv4 loopback address: the harness's echo server), answers 200 and moves
// bytes both ways until both sides have ended. A request it cannot serve,
// or a failing socket, ends the tunnel without a reply.
func floorTunnel(c int, buf []byte) {
	n, end := 0, -1
	for end < 0 && n < 4096 {
		m, err := floorRead(c, buf[n:4096])
		if err != nil || m == 0 {
			return
		}
		n += m
		end = bytes.Index(buf[:n], []byte("\r\n\r\n"))
	}
	if end < 0 {
		return
	}
	target, ok := connectTarget(buf[:end])
	if !ok {
		return
	}
	t, err := floorDial(target)
	if err != nil {
		return
	}
	defer unix.RawSyscall(unix.SYS_CLOSE, uintptr(t), 0, 0)
	if floorWrite(c, []byte("HTTP/1.0 200 OK\r\n\r\n")) != nil {
		return
	}
	if early := buf[end+4 : n]; len(early) > 0 && floorWrite(t, early) != nil {
		return
	}
	floorPump(c, t, buf)
}

// connectTarget returns the IPv4 loopback address and port of a request
// head "CONNECT a.b.c.d:port HTTP/1.x…".
func connectTarget(head []byte) (netip.AddrPort, bool) {
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	f := bytes.Fields(line)
	if len(f) != 3 || string(f[0]) != "CONNECT" || !bytes.HasPrefix(f[2], []byte("HTTP/1.")) {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(string(f[1]))
	if err != nil || !ap.Addr().Is4() || !ap.Addr().IsLoopback() {
		return netip.AddrPort{}, false
	}
	return ap, true
}

// floorDial returns a blocking socket connected to target.
func floorDial(target netip.AddrPort) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: target.Addr().As4()}
	port := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
	port[0], port[1] = byte(target.Port()>>8), byte(target.Port())
	if err := floorConnect(fd, &sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// floorPump moves bytes between client c and target t: a side's EOF
// half-closes the other, and the tunnel ends when both have ended or
// either fails.
func floorPump(c, t int, buf []byte) {
	fds := [2]unix.PollFd{{Fd: int32(c), Events: unix.POLLIN}, {Fd: int32(t), Events: unix.POLLIN}}
	peer := [2]int{t, c}
	for open := 2; open > 0; {
		_, _, errno := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 2, 0, 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return
		}
		for i := range fds {
			if fds[i].Fd < 0 || fds[i].Revents == 0 {
				continue
			}
			n, err := floorRead(int(fds[i].Fd), buf)
			switch {
			case err != nil:
				return
			case n > 0:
				if floorWrite(peer[i], buf[:n]) != nil {
					return
				}
			default:
				unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(peer[i]), unix.SHUT_WR, 0)
				fds[i].Fd = -1 // ppoll skips it
				open--
			}
		}
	}
}

// floorRead is read(2) as a raw system call, restarted after a signal.
func floorRead(fd int, p []byte) (int, error) {
	for {
		n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(n), nil
	}
}

// floorWrite writes all of p with raw write(2) calls.
func floorWrite(fd int, p []byte) error {
	for len(p) > 0 {
		n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch errno {
		case 0:
			p = p[n:]
		case unix.EINTR:
		default:
			return errno
		}
	}
	return nil
}
