//go:build linux

package e2e

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// udpPeer is a connected UDP socket playing a client of a gnc listener.
func udpPeer(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	c := dial(t, "udp", addr)
	return c.(*net.UDPConn)
}

// readUDP reads one datagram from a connected UDP socket.
func readUDP(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("reading a datagram on %v: %v", c.LocalAddr(), err)
	}
	return string(buf[:n])
}

// TestConnectUDP: stdin goes out as datagrams, replies come to stdout, and
// stdin EOF ends gnc at once with status 0 (§3).
func TestConnectUDP(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			if host == v6 {
				testnet.RequireIPv6(t)
			}
			pc := testnet.ListenPacket(t, "udp", testnet.Addr(host, 0))
			p := gnc(t, "-u", host, itoa(testnet.Port(pc.LocalAddr())))
			p.write("hello\n")
			from := readDatagramUntil(t, pc, "hello\n")
			if _, err := pc.WriteTo([]byte("world\n"), from); err != nil {
				t.Fatal(err)
			}
			p.waitStdout("world\n")
			p.closeStdin()
			p.expectExit(0)
			if got := p.stdout.String(); got != "world\n" {
				t.Errorf("stdout = %q", got)
			}
		})
	}
}

// TestConnectUDPQuitAfterEOF: with -q a reply that comes after stdin EOF
// is still printed; gnc then quits with 0.
func TestConnectUDPQuitAfterEOF(t *testing.T) {
	t.Parallel()
	pc := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	p := gnc(t, "-u", "-q", "2", v4, itoa(testnet.Port(pc.LocalAddr())))
	p.write("ping\n")
	p.closeStdin()
	from := readDatagramUntil(t, pc, "ping\n")
	if _, err := pc.WriteTo([]byte("pong\n"), from); err != nil {
		t.Fatal(err)
	}
	p.waitStdout("pong\n")
	p.expectExit(0)
}

// TestListenUDP: -u -l serves the first sender only (its socket is
// connected to it, so others get ICMP errors), logs only "Connection from
// IP.", and keeps running after stdin EOF.
func TestListenUDP(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	addr := testnet.Addr(v4, port)
	p := gnc(t, "-v", "-u", "-l", v4, itoa(port))
	p.waitStderr("Listening on")
	a := udpPeer(t, addr)
	write(t, a, "a1\n")
	p.waitStdout("a1\n")
	p.write("r1\n")
	if got := readUDP(t, a); got != "r1\n" {
		t.Errorf("peer got %q, want %q", got, "r1\n")
	}

	// A second sender is not served: its datagram is refused by the kernel.
	b := udpPeer(t, addr)
	write(t, b, "b1\n")
	b.SetReadDeadline(time.Now().Add(waitTimeout))
	var buf [64]byte
	if n, err := b.Read(buf[:]); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("second sender: read %q, %v; want connection refused", buf[:n], err)
	}

	write(t, a, "a2\n")
	p.waitStdout("a2\n")
	p.closeStdin()
	write(t, a, "a3\n")
	p.waitStdout("a3\n")
	if got := p.stdout.String(); got != "a1\na2\na3\n" {
		t.Errorf("stdout = %q, want only the first peer's datagrams", got)
	}
	p.requireRunning("UDP listen does not end at stdin EOF")
	matchLines(t, p.stderr.String(),
		`gnc: Version .*`,
		`gnc: Listening on 127\.0\.0\.1:`+itoa(port),
		`gnc: Connection from 127\.0\.0\.1\.`)
}

// TestListenUDPDualStack: -u -l with no address serves both families.
func TestListenUDPDualStack(t *testing.T) {
	t.Parallel()
	testnet.RequireIPv6(t)
	port := testnet.FreePortDual(t, "udp")
	p := gnc(t, "-v", "-u", "-l", "-k", itoa(port))
	p.waitStderrCount("Listening on", 2)
	a := udpPeer(t, testnet.Addr(v4, port))
	b := udpPeer(t, testnet.Addr(v6, port))
	write(t, a, "v4 peer\n")
	write(t, b, "v6 peer\n")
	p.waitStdout("v4 peer\n")
	p.waitStdout("v6 peer\n")
	p.write("both\n")
	if got := readUDP(t, a); got != "both\n" {
		t.Errorf("v4 peer got %q", got)
	}
	if got := readUDP(t, b); got != "both\n" {
		t.Errorf("v6 peer got %q", got)
	}
	s := p.stderr.String()
	for _, want := range []string{"gnc: Listening on :::" + itoa(port) + "\n", "gnc: Listening on 0.0.0.0:" + itoa(port) + "\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%s", want, s)
		}
	}
}

// TestListenUDPKeepOpen: -u -l -k serves every peer: each one's datagrams
// reach stdout and stdin reaches all of them, also after stdin EOF for new
// peers' data.
func TestListenUDPKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	addr := testnet.Addr(v4, port)
	p := gnc(t, "-u", "-l", "-k", v4, itoa(port))
	waitListening(t, "udp", port, "")
	var peers []*net.UDPConn
	for i := range 3 {
		c := udpPeer(t, addr)
		msg := "peer " + itoa(i) + "\n"
		write(t, c, msg)
		p.waitStdout(msg)
		peers = append(peers, c)
	}
	p.write("to every peer\n")
	for i, c := range peers {
		if got := readUDP(t, c); got != "to every peer\n" {
			t.Errorf("peer %d got %q", i, got)
		}
	}
	// Datagram boundaries: one datagram in, one chunk out.
	write(t, peers[1], strings.Repeat("x", 3000))
	p.waitStdout(strings.Repeat("x", 3000))

	p.closeStdin()
	late := udpPeer(t, addr)
	write(t, late, "late peer\n")
	p.waitStdout("late peer\n")
	p.requireRunning("-u -l -k never exits by itself")
}

// TestListenUDPMaxConns: -m counts UDP peers; the extra one is denied with
// ncat's -v line and its data dropped.
func TestListenUDPMaxConns(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	addr := testnet.Addr(v4, port)
	p := gnc(t, "-v", "-u", "-l", "-k", "-m", "1", v4, itoa(port))
	p.waitStderr("Listening on")
	a := udpPeer(t, addr)
	write(t, a, "first\n")
	p.waitStdout("first\n")
	b := udpPeer(t, addr)
	write(t, b, "second\n")
	p.waitStderr("gnc: New connection denied: connection limit reached (1)\n")
	write(t, a, "first again\n")
	p.waitStdout("first again\n")
	if strings.Contains(p.stdout.String(), "second") {
		t.Errorf("a denied peer's datagram reached stdout: %q", p.stdout.String())
	}
}
