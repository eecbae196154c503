//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

const (
	v4 = testnet.IPv4
	v6 = testnet.IPv6
)

func itoa(n int) string { return strconv.Itoa(n) }

// listenTCP listens on host:0 for the test and returns the listener and its
// port.
func listenTCP(t testing.TB, host string) (net.Listener, int) {
	t.Helper()
	ln := testnet.Listen(t, "tcp", testnet.Addr(host, 0))
	return ln, testnet.Port(ln.Addr())
}

type deadliner interface{ SetDeadline(time.Time) error }

// accept takes one connection from ln within waitTimeout; it is closed when
// the test ends.
func accept(t testing.TB, ln net.Listener) net.Conn {
	t.Helper()
	if d, ok := ln.(deadliner); ok {
		d.SetDeadline(time.Now().Add(waitTimeout))
		defer d.SetDeadline(time.Time{})
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept on %v: %v", ln.Addr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects to addr within waitTimeout; the conn is closed when the
// test ends.
func dial(t testing.TB, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntil reads c until what was read contains want, and returns it all.
func readUntil(t testing.TB, c net.Conn, want string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte(want)) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("reading %v for %q: got %q, then %v", c.RemoteAddr(), want, got, err)
		}
	}
	return string(got)
}

// readAll reads c until EOF and returns what came; any other error or
// waitTimeout fails the test.
func readAll(t testing.TB, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	defer c.SetReadDeadline(time.Time{})
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading %v to EOF: got %q, then %v", c.RemoteAddr(), b, err)
	}
	return string(b)
}

// expectEOF checks that the next read of c is EOF (after exactly want).
func expectEOF(t testing.TB, c net.Conn, want string) {
	t.Helper()
	if got := readAll(t, c); got != want {
		t.Fatalf("read %q before EOF, want %q", got, want)
	}
}

// expectQuiet checks that nothing, not even EOF, arrives on c for d. It is a
// bounded negative check, not a timing threshold.
func expectQuiet(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	var buf [512]byte
	n, err := c.Read(buf[:])
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("expected no data and no EOF for %v, got %q, %v", d, buf[:n], err)
	}
}

// write writes s to c.
func write(t testing.TB, c net.Conn, s string) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(waitTimeout))
	defer c.SetWriteDeadline(time.Time{})
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatalf("writing %q to %v: %v", s, c.RemoteAddr(), err)
	}
}

// closeWrite half-closes c.
func closeWrite(t testing.TB, c net.Conn) {
	t.Helper()
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("half-closing %v: %v", c.LocalAddr(), err)
	}
}

// readDatagram reads one datagram from pc within waitTimeout.
func readDatagram(t testing.TB, pc net.PacketConn) (string, net.Addr) {
	t.Helper()
	pc.SetReadDeadline(time.Now().Add(waitTimeout))
	defer pc.SetReadDeadline(time.Time{})
	buf := make([]byte, 65536)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("reading a datagram on %v: %v", pc.LocalAddr(), err)
	}
	return string(buf[:n]), from
}

// readDatagramUntil reads datagrams from pc until one equals want, returning
// its sender; datagrams before it are reported in the failure message only.
func readDatagramUntil(t testing.TB, pc net.PacketConn, want string) net.Addr {
	t.Helper()
	var seen []string
	for range 100 {
		got, from := readDatagram(t, pc)
		if got == want {
			return from
		}
		seen = append(seen, got)
	}
	t.Fatalf("datagram %q never came; got %q", want, seen)
	return nil
}

// waitListening waits until a listener of network is bound on port (or the
// Unix socket path) without connecting to it.
func waitListening(t testing.TB, network string, port int, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := testnet.WaitListening(ctx, network, port, path); err != nil {
		t.Fatal(err)
	}
}

// waitPort waits until a TCP connection to addr succeeds (the probe is
// closed at once, so use it for -k servers only).
func waitPort(t testing.TB, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := testnet.WaitPort(ctx, "tcp", addr); err != nil {
		t.Fatal(err)
	}
}

// expectRefused checks that a TCP connection to addr is refused.
func expectRefused(t testing.TB, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err == nil {
		c.Close()
		t.Fatalf("connection to %s succeeded; want refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connection to %s: %v; want connection refused", addr, err)
	}
}
