//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The floors are the least a program can do for a job on this machine,
// measured beside the tools: the harness re-executes itself with one of
// these hidden subcommands, so a floor is a process of its own whose CPU and
// wall time are taken like a tool's.
const (
	// floorServeCmd ADDR PORT is the connection-rate floor: a minimal
	// keep-open server (see floorServe).
	floorServeCmd = "floor-serve"
	// floorScanCmd ADDR FIRST-LAST is the port-scan floor: a minimal
	// connect scan (see floorScan) that prints one line: the number of
	// open ports and the nanoseconds its probes took.
	floorScanCmd = "floor-scan"
)

// floorName is the floors' tool name in -only and in the reports.
const floorName = "floor"

// The peers the floors are compared with: the targets' peers.
const (
	floorPeerConn = "ncat"
	floorPeerScan = "nc.openbsd"
)

// floorServeText and floorScanText say what the floors are, in the notes.
const (
	floorServeText = "Floor, a minimal server in the same runs (no tool: blocking `accept4`, one `recv` " +
		"with `MSG_WAITALL` to EOF, one `write` to /dev/null, `close`, on one OS thread; × = floor ÷ ncat)"
	floorScanText = "Floor, a minimal connect scan timed the same way (no tool: the ports interleaved over " +
		"%d OS threads, one blocking `connect` per port on a reused socket with a fixed local port; " +
		"it found %d open; × = floor ÷ nc.openbsd)"
)

// A floorFigure is a floor's figure in one row, with the peer's cell of
// that row.
type floorFigure struct {
	name  string // the row; "" in a table of one row
	value float64
	peer  cell
}

// floorNote is the reference sentence under a table: what the floor is,
// then its figure in each row, with its ratio to peer where peer ran.
func floorNote(what, unit, peer string, figs []floorFigure, format func(float64) string) string {
	var parts []string
	for _, f := range figs {
		p := strings.TrimSpace(f.name + " " + format(f.value) + " " + unit)
		if f.peer.ok && f.peer.value != 0 {
			p += fmt.Sprintf(" (%.2f× %s)", f.value/f.peer.value, peer)
		}
		parts = append(parts, p)
	}
	return what + ": " + strings.Join(parts, "; ") + "."
}

// runFloor runs a floor subcommand and reports whether args named one. It
// is called before the harness installs its signal handlers, so SIGTERM
// ends a floor server at once, as it ends the tools.
func runFloor(args []string, stdout io.Writer) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case floorServeCmd:
		return true, floorServeMain(args[1:])
	case floorScanCmd:
		return true, floorScanMain(args[1:], stdout)
	case floorProxyCmd:
		return true, floorProxyMain(args[1:])
	}
	return false, nil
}

// floorTool is the floor as a tool: the harness's own executable, whose
// keep-open listener is the floor server.
func floorTool() (tool, error) {
	exe, err := os.Executable()
	if err != nil {
		return tool{}, err
	}
	return tool{
		name: floorName,
		path: exe,
		keep: func(port int) []string {
			return []string{floorServeCmd, loopback, strconv.Itoa(port)}
		},
		// No preemption signals: they would interrupt the floors' raw
		// blocking system calls. No collection either: a thread in a raw
		// blocking call (idle in accept4) keeps its P and never reaches a
		// safe point, so a collection's stop-the-world would wait for the
		// next connection to each thread; the floors allocate little
		// (the proxy's request parsing), but enough for one in a long run.
		env: []string{"GODEBUG=asyncpreemptoff=1", "GOGC=off"},
	}, nil
}

// floorServeMain listens on ADDR PORT and serves until it is killed.
func floorServeMain(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: %s ADDR PORT", floorServeCmd)
	}
	ln, err := floorListenArgs(floorServeCmd, args[0], args[1])
	if err != nil {
		return err
	}
	return floorServe(ln, 1)
}

// floorListenArgs returns a blocking listening socket on a floor server's
// ADDR PORT arguments, ADDR an IPv4 loopback address.
func floorListenArgs(cmd, addrArg, portArg string) (int, error) {
	addr, err := netip.ParseAddr(addrArg)
	if err != nil || !addr.Is4() || !addr.IsLoopback() {
		return -1, fmt.Errorf("%s: %q is not an IPv4 loopback address", cmd, addrArg)
	}
	port, err := strconv.ParseUint(portArg, 10, 16)
	if err != nil {
		return -1, fmt.Errorf("%s: bad port %q", cmd, portArg)
	}
	return floorListen(addr, uint16(port))
}

// floorListen returns a blocking listening socket on addr:port.
func floorListen(addr netip.Addr, port uint16) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrInet4{Port: int(port), Addr: addr.As4()})
	}
	if err == nil {
		err = unix.Listen(fd, unix.SOMAXCONN)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen on %v: %w", netip.AddrPortFrom(addr, port), err)
	}
	return fd, nil
}

// floorServe is the least a keep-open server can do per connection:
// accept4 on a blocking socket, one recv with MSG_WAITALL (it returns only
// once the buffer is full or the client's FIN has been read, so one call
// reads a short connection to EOF), one write of what came to out (stdout,
// /dev/null, as the tools'), and close. All of it runs on one OS thread in
// raw blocking system calls, which the Go scheduler is not told about: no
// netpoller, no goroutine per connection, no allocation, no scheduler
// bookkeeping around each call. It returns when accept fails for good, as
// it does once ln is shut down.
//
// A signal would cut a MSG_WAITALL recv short, so the floor runs with
// GODEBUG=asyncpreemptoff=1 (see floorTool): the runtime then sends none.
func floorServe(ln, out int) error {
	return floorAcceptLoop(ln, func(c uintptr, buf []byte) error { return floorDrain(c, uintptr(out), buf) })
}

// floorAcceptLoop accepts connections on ln with raw blocking accept4
// calls on one locked OS thread and has serve each one, with a 64 KiB
// buffer of the thread's, then closes it. It returns serve's first error,
// or accept's once accept fails for good (as it does once ln is shut
// down).
func floorAcceptLoop(ln int, serve func(c uintptr, buf []byte) error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 64<<10)
	for {
		c, _, errno := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(ln), 0, 0, unix.SOCK_CLOEXEC, 0, 0)
		switch errno {
		case 0:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			return fmt.Errorf("accept4: %w", errno)
		}
		err := serve(c, buf)
		unix.RawSyscall(unix.SYS_CLOSE, c, 0, 0)
		if err != nil {
			return err
		}
	}
}

// floorDrain reads c to EOF and copies what it read to out. Only a failing
// out is an error: a connection that fails is closed like one that ends.
func floorDrain(c, out uintptr, buf []byte) error {
	p, size := uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf))
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, c, p, size, unix.MSG_WAITALL, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 || n == 0 {
			return nil
		}
		for off := uintptr(0); off < n; {
			w, _, errno := unix.RawSyscall(unix.SYS_WRITE, out, p+off, n-off)
			switch errno {
			case 0:
				off += w
			case unix.EINTR:
			default:
				return fmt.Errorf("write: %w", errno)
			}
		}
		if n < size { // MSG_WAITALL stopped short: at the FIN
			return nil
		}
	}
}

// floorScanMain scans ADDR FIRST-LAST and prints the number of open ports
// and the time from the start of the first probe thread to the end of the
// last one, the scan without the process's start and exit.
func floorScanMain(args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: %s ADDR FIRST-LAST", floorScanCmd)
	}
	addr, err := netip.ParseAddr(args[0])
	if err != nil || !addr.Is4() || !addr.IsLoopback() {
		return fmt.Errorf("%s: %q is not an IPv4 loopback address", floorScanCmd, args[0])
	}
	first, last, err := parsePortRange(args[1])
	if err != nil {
		return fmt.Errorf("%s: %w", floorScanCmd, err)
	}
	ports := make([]uint16, 0, last-first+1)
	for p := first; p <= last; p++ {
		ports = append(ports, uint16(p))
	}
	start := time.Now()
	open, err := floorScan(addr, ports, runtime.GOMAXPROCS(0))
	probes := time.Since(start)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, len(open), probes.Nanoseconds())
	return err
}

// parsePortRange parses "FIRST-LAST", 1 ≤ FIRST ≤ LAST ≤ 65535.
func parsePortRange(s string) (first, last int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		first, err = strconv.Atoi(a)
		if err == nil {
			last, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || first < 1 || first > last || last > 65535 {
		return 0, 0, fmt.Errorf("bad port range %q", s)
	}
	return first, last, nil
}

// parseFloorScan parses the floor scanner's line: the number of open ports
// and the probes' time in nanoseconds.
func parseFloorScan(out string) (open int, probes time.Duration, err error) {
	a, b, ok := strings.Cut(strings.TrimSuffix(out, "\n"), " ")
	var ns int64
	if ok {
		open, err = strconv.Atoi(a)
		if err == nil {
			ns, err = strconv.ParseInt(b, 10, 64)
		}
	}
	if !ok || err != nil || open < 0 || ns <= 0 {
		return 0, 0, fmt.Errorf("floor scanner printed %q, want a count and nanoseconds", out)
	}
	return open, time.Duration(ns), nil
}

// floorConnectTimeout bounds one connect: on loopback the kernel answers a
// SYN before connect returns, so this only stops a scan from hanging on a
// listener whose accept queue is full.
const floorConnectTimeout = 5 * time.Second

// floorScan is the cheapest correct connect scan of ports on addr: threads
// OS threads, thread i probing ports i, i+threads, i+2·threads, … Each
// thread keeps one blocking socket bound to a port of its own and calls
// connect once per port: on loopback the SYN and the RST (or SYN-ACK) are
// processed before connect returns, so the blocking call costs one system
// call and does not sleep (unless the kernel hands its softirq work to
// ksoftirqd), where a non-blocking probe needs a second connect to read
// the outcome. A refused socket is back in the closed state and
// keeps its local port, so it probes the next port without socket, bind or
// close; only an open port costs a new socket. It returns the open ports,
// in no particular order.
func floorScan(addr netip.Addr, ports []uint16, threads int) ([]uint16, error) {
	if threads < 1 {
		threads = 1
	}
	results := make([][]uint16, threads)
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Go(func() { results[i], errs[i] = floorProbe(addr, ports, i, threads) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var open []uint16
	for _, r := range results {
		open = append(open, r...)
	}
	return open, nil
}

// floorProbe probes ports[i], ports[i+step], … on one locked OS thread.
func floorProbe(addr netip.Addr, ports []uint16, i, step int) ([]uint16, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var open []uint16
	fd := -1
	defer func() {
		if fd >= 0 {
			unix.Close(fd)
		}
	}()
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: addr.As4()}
	port := (*[2]byte)(unsafe.Pointer(&sa.Port)) // network byte order
	for ; i < len(ports); i += step {
		port[0], port[1] = byte(ports[i]>>8), byte(ports[i])
		for try := 1; ; try++ {
			if fd < 0 {
				var err error
				if fd, err = floorSocket(); err != nil {
					return nil, err
				}
			}
			err := floorConnect(fd, &sa)
			if err == unix.ECONNREFUSED {
				break // closed; the socket serves the next port
			}
			if err == nil && !selfConnected(fd, ports[i], addr) {
				open = append(open, ports[i])
			}
			unix.Close(fd)
			fd = -1
			if err == nil {
				break
			}
			// EADDRNOTAVAIL (a TIME_WAIT of the pinned port), EINTR, a
			// timeout: a fresh socket tries the port again.
			if try == 3 {
				return nil, fmt.Errorf("connect to port %d: %w", ports[i], err)
			}
		}
	}
	return open, nil
}

// floorConnect is connect(2) as a raw system call: the Go scheduler is not
// told, which saves its bookkeeping around every call (a loopback connect
// does not sleep); a signal restarts the call, which then reports the
// outcome of the connection in progress.
func floorConnect(fd int, sa *unix.RawSockaddrInet4) error {
	_, _, errno := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4)
	if errno != 0 {
		return errno
	}
	return nil
}

// floorSocket returns a blocking TCP socket bound to a local port of its
// own. The port is explicit, so the kernel keeps it bound across refused
// connects (a port the kernel chose at connect time is released and sought
// anew each time); it is the port the kernel picked for a helper socket,
// closed before the bind. If that bind fails, connect picks ports as usual.
func floorSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	tv := unix.NsecToTimeval(floorConnectTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, err
	}
	helper, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fd, nil
	}
	var sa unix.Sockaddr
	if unix.Bind(helper, &unix.SockaddrInet4{}) == nil {
		sa, _ = unix.Getsockname(helper)
	}
	unix.Close(helper)
	if sa != nil {
		unix.Bind(fd, sa)
	}
	return fd, nil
}

// selfConnected reports whether fd, just connected to addr:port, is
// connected to itself: the kernel picked that port as fd's local port,
// which it can only do when nothing listens there, so the port is closed.
func selfConnected(fd int, port uint16, addr netip.Addr) bool {
	local, err := unix.Getsockname(fd)
	l, ok := local.(*unix.SockaddrInet4)
	return err == nil && ok && l.Port == int(port) && l.Addr == addr.As4()
}
