// Package testnet holds helpers for tests that use real loopback sockets:
// free ports, waiting for a listener to appear, loopback listeners closed at
// the end of the test, and skipping when an external tool or IPv6 is
// missing. It only ever uses 127.0.0.1, ::1 and Unix socket paths, and every
// wait it does is bounded by a context. It is imported by tests only.
package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Loopback addresses, the only IP addresses tests may use.
const (
	IPv4 = "127.0.0.1"
	IPv6 = "::1"
)

// pollInterval is how often the Wait helpers look again.
const pollInterval = 10 * time.Millisecond

// RequireTool returns the path of an external program, or skips the test
// when it is not in PATH.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not in PATH; interop skipped", name)
	}
	return p
}

var ipv6Once = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
})

// HasIPv6 reports whether the host can listen on ::1.
func HasIPv6() bool { return ipv6Once() }

// RequireIPv6 skips the test when the host has no IPv6 loopback.
func RequireIPv6(t testing.TB) {
	t.Helper()
	if !HasIPv6() {
		t.Skip("no IPv6 loopback (::1) on this host")
	}
}

// Addr joins a loopback address and a port ("127.0.0.1:80", "[::1]:80").
func Addr(host string, port int) string {
	return net.JoinHostPort(host, fmt.Sprint(port))
}

// FreePort returns a port that was free on host ("127.0.0.1" or "::1") for
// the network ("tcp" or "udp") a moment ago. It picks at random below the
// kernel's ephemeral range, so the clients of concurrent tests (which take
// their local ports from that range) cannot take it before the caller binds
// it; another test picking the same port is the small remaining risk.
func FreePort(t testing.TB, network, host string) int {
	t.Helper()
	port, err := PickPort(network, host)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// PickPort is FreePort for callers without a testing.TB.
func PickPort(network, host string) (int, error) {
	for range 200 {
		port := candidatePort()
		if bindable(network, host, port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free %s port on %s after 200 tries", network, host)
}

// candidatePort is a random port in the 8,000 below the ephemeral range.
func candidatePort() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 9024 {
				low = n
			}
		}
	}
	return low - 8000 + rand.IntN(8000)
}

func bindable(network, host string, port int) bool {
	switch network {
	case "tcp", "tcp4", "tcp6":
		ln, err := net.Listen("tcp", Addr(host, port))
		if err != nil {
			return false
		}
		ln.Close()
		return true
	case "udp", "udp4", "udp6":
		pc, err := net.ListenPacket("udp", Addr(host, port))
		if err != nil {
			return false
		}
		pc.Close()
		return true
	}
	return false
}

// FreePortDual returns a port that was free on both 127.0.0.1 and ::1 (on
// the wildcard addresses too), for tests of gnc's dual-stack listener. On a
// host without IPv6 it is FreePort on 127.0.0.1.
func FreePortDual(t testing.TB, network string) int {
	t.Helper()
	if !HasIPv6() {
		return FreePort(t, network, IPv4)
	}
	for range 200 {
		if port := candidatePort(); PortFree(network, port) {
			return port
		}
	}
	t.Fatalf("no %s port free on both families after 200 tries", network)
	return 0
}

// PortFree reports whether port can be bound on the IPv4 and (where the host
// has it) IPv6 wildcard addresses for network ("tcp" or "udp").
func PortFree(network string, port int) bool {
	hosts := []string{"0.0.0.0"}
	if HasIPv6() {
		hosts = append(hosts, "::")
	}
	for _, h := range hosts {
		fam := network + "4"
		if strings.Contains(h, ":") {
			fam = network + "6"
		}
		var err error
		if strings.HasPrefix(network, "udp") {
			var pc net.PacketConn
			if pc, err = net.ListenPacket(fam, Addr(h, port)); err == nil {
				pc.Close()
			}
		} else {
			var ln net.Listener
			if ln, err = net.Listen(fam, Addr(h, port)); err == nil {
				ln.Close()
			}
		}
		if err != nil {
			return false
		}
	}
	return true
}

// Listen listens on addr ("127.0.0.1:0", "[::1]:0", a Unix socket path) and
// closes the listener when the test ends.
func Listen(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// ListenPacket is Listen for datagram sockets ("udp", "unixgram").
func ListenPacket(t testing.TB, network, addr string) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// Port returns the port of a TCP or UDP address.
func Port(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return 0
}

// WaitPort polls until a connection to addr over network ("tcp", "unix")
// succeeds, or ctx ends. The probe connection is closed at once, so use it
// only for servers that can take an extra client.
func WaitPort(ctx context.Context, network, addr string) error {
	var d net.Dialer
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, network, addr)
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		if serr := sleep(ctx, pollInterval); serr != nil {
			return fmt.Errorf("waiting for %s %s: %w (last error: %v)", network, addr, serr, err)
		}
	}
}

// WaitListening polls the kernel's socket tables until some socket of the
// network ("tcp", "tcp6", "udp", "udp6", "unix", "unixgram") is listening
// on port (or, for Unix sockets, bound to path; a socket bound by a
// relative name matches an absolute path ending in it), or ctx ends. It
// makes no connection, so it suits single-connection listeners. Linux only.
func WaitListening(ctx context.Context, network string, port int, path string) error {
	for {
		ok, err := listening(network, port, path)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("waiting for a %s listener on %d%s: %w", network, port, path, err)
		}
	}
}

func listening(network string, port int, path string) (bool, error) {
	switch network {
	case "unix", "unixgram":
		return unixListening(network, path)
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return false, fmt.Errorf("unknown network %q", network)
	}
	base := strings.TrimRight(network, "46")
	files := []string{"/proc/net/" + base}
	if HasIPv6() {
		files = append(files, "/proc/net/"+base+"6")
	}
	switch {
	case strings.HasSuffix(network, "4"):
		files = files[:1]
	case strings.HasSuffix(network, "6"):
		files = files[1:]
	}
	want := fmt.Sprintf(":%04X", port)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || !strings.HasSuffix(fields[1], want) {
				continue
			}
			// TCP sockets must be in LISTEN (0A); a bound UDP socket shows
			// as CLOSE (07) until it is connected.
			if base == "tcp" && fields[3] != "0A" {
				continue
			}
			if base == "udp" && fields[3] != "07" {
				continue
			}
			return true, nil
		}
	}
	return false, nil
}

// unixListening looks for a stream socket accepting connections
// (__SO_ACCEPTCON) or a bound datagram socket at path in /proc/net/unix.
func unixListening(network, path string) (bool, error) {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 || !samePath(f[7], path) {
			continue
		}
		const acceptCon = "00010000"
		switch {
		case network == "unix" && f[4] == "0001" && f[3] == acceptCon:
			return true, nil
		case network == "unixgram" && f[4] == "0002":
			return true, nil
		}
	}
	return false, nil
}

// samePath reports whether bound, a path as a socket was bound (possibly
// relative to its process's directory), can be path.
func samePath(bound, path string) bool {
	if bound == path {
		return true
	}
	return !filepath.IsAbs(bound) && filepath.IsAbs(path) && strings.HasSuffix(path, string(filepath.Separator)+filepath.Clean(bound))
}

// WaitGone polls until path no longer exists, or ctx ends.
func WaitGone(ctx context.Context, path string) error {
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("waiting for %s to be removed: %w", path, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PortBlock returns the first of n consecutive ports of network ("tcp" or
// "udp") on host that were all free, and listens on base+i for each i in
// open (closed at the end of the test), for tests that scan a range of
// ports and need to know which are open. For TCP the other ports of the
// block are bound without listening: they refuse connections, and no other
// test can take them while this one scans (a scan would take another
// test's single-connection listener as a client). UDP ports cannot be
// held closed: they stay closed unless another process binds one meanwhile.
func PortBlock(t testing.TB, network, host string, n int, open ...int) (base int) {
	t.Helper()
	var held []io.Closer
	release := func() {
		for _, c := range held {
			c.Close()
		}
		held = nil
	}
outer:
	for range 200 {
		base = candidatePort()
		for i := range n {
			if !bindable(network, host, base+i) {
				continue outer
			}
		}
		for i := range n {
			var c io.Closer
			var err error
			switch {
			case !slices.Contains(open, i) && network == "udp":
				continue
			case !slices.Contains(open, i):
				c, err = reserveTCP(host, base+i)
			case network == "udp":
				c, err = net.ListenPacket("udp", Addr(host, base+i))
			default:
				c, err = net.Listen("tcp", Addr(host, base+i))
			}
			if err != nil {
				release()
				continue outer
			}
			held = append(held, c)
		}
		t.Cleanup(release)
		return base
	}
	t.Fatalf("no block of %d free %s ports on %s after 200 tries", n, network, host)
	return 0
}
