package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestDialTCP(t *testing.T) {
	tests := []struct {
		name, network, listen, host string
		family                      int
	}{
		{"ipv4", "tcp4", "127.0.0.1:0", "127.0.0.1", 0},
		{"ipv4 -4", "tcp4", "127.0.0.1:0", "127.0.0.1", 4},
		{"ipv6", "tcp6", "[::1]:0", "::1", 0},
		{"ipv6 -6", "tcp6", "[::1]:0", "::1", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.network == "tcp6" {
				requireIPv6(t)
			}
			ctx := testCtx(t)
			ln := listenTCP(t, tt.network, tt.listen)
			accepted := acceptOne(ln)
			c, err := Dial(ctx, DialOptions{Network: "tcp", Family: tt.family, Host: tt.host, Port: ln.Addr().(*net.TCPAddr).Port})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, ok := c.(*net.TCPConn); !ok {
				t.Errorf("Dial returned %T, want the bare *net.TCPConn", c)
			}
			s := recvConn(ctx, t, accepted)
			c.Write([]byte("hi"))
			b := make([]byte, 2)
			if _, err := io.ReadFull(s, b); err != nil || string(b) != "hi" {
				t.Errorf("server got %q, %v", b, err)
			}
		})
	}
}

// A refused connection is a *ConnectError worded as ncat's message, and
// each failed attempt is logged.
func TestDialRefused(t *testing.T) {
	for _, fam := range []struct{ network, addr, host string }{
		{"tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"tcp6", "[::1]:0", "::1"},
	} {
		t.Run(fam.network, func(t *testing.T) {
			if fam.network == "tcp6" {
				requireIPv6(t)
			}
			port := closedPort(t, fam.network, fam.addr)
			var logs []string
			_, err := Dial(testCtx(t), DialOptions{Network: "tcp", Host: fam.host, Port: port,
				Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("Dial error = %v (%T), want *ConnectError", err, err)
			}
			if err.Error() != "Connection refused." {
				t.Errorf("error text %q, want %q", err.Error(), "Connection refused.")
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("error %v does not wrap ECONNREFUSED", err)
			}
			if want := netip.AddrPortFrom(netip.MustParseAddr(fam.host), uint16(port)).String(); ce.Addr != want {
				t.Errorf("ConnectError.Addr = %q, want %q", ce.Addr, want)
			}
			if want := fmt.Sprintf("connect to %s:%d: Connection refused.", fam.host, port); len(logs) != 1 || logs[0] != want {
				t.Errorf("logs = %q, want [%q]", logs, want)
			}
			if got := Describe(err); got != "Connection refused." {
				t.Errorf("Describe = %q", got)
			}
		})
	}
}

// "localhost" is tried address by address, in the resolver's order, with a
// listener on only one family; the failures before the success are logged.
func TestDialFallback(t *testing.T) {
	ctx := testCtx(t)
	addrs, err := Resolve(ctx, "localhost", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range addrs {
		t.Run(a.String(), func(t *testing.T) {
			network, listen := "tcp4", "127.0.0.1:0"
			if a.Is6() {
				requireIPv6(t)
				network, listen = "tcp6", "[::1]:0"
			}
			ln := listenTCP(t, network, listen)
			port := ln.Addr().(*net.TCPAddr).Port
			// The other family must refuse on that port for the test to
			// mean anything.
			for _, b := range addrs {
				if b.Is6() != a.Is6() {
					if c, err := net.Dial("tcp", netip.AddrPortFrom(b, uint16(port)).String()); err == nil {
						c.Close()
						t.Skipf("port %d is also open on %v", port, b)
					}
				}
			}
			accepted := acceptOne(ln)
			var logs []string
			c, err := Dial(ctx, DialOptions{Network: "tcp", Host: "localhost", Port: port,
				Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
			if err != nil {
				t.Fatalf("Dial localhost:%d with a listener on %v only: %v", port, a, err)
			}
			defer c.Close()
			recvConn(ctx, t, accepted)
			if got := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr(); got != a {
				t.Errorf("connected to %v, want %v", got, a)
			}
			// Every address before a (in resolver order) failed first.
			var failed []string
			for _, b := range addrs[:i] {
				if b.Is6() != a.Is6() {
					failed = append(failed, b.String())
				}
			}
			if len(logs) != len(failed) {
				t.Errorf("logged %q; want one failure for each of %v", logs, failed)
			}
		})
	}
	if len(addrs) < 2 {
		t.Logf("localhost resolves to %v only here: the fallback to a second address is not exercised", addrs)
	}
}

// -s and -p bind the local end: the server sees that address and port.
func TestDialSource(t *testing.T) {
	tests := []struct {
		name, network, listen, host string
		source                      string
		withPort                    bool
	}{
		{"-p ipv4", "tcp4", "127.0.0.1:0", "127.0.0.1", "", true},
		{"-s ipv4", "tcp4", "127.0.0.1:0", "127.0.0.1", "127.0.0.1", false},
		{"-s -p ipv4", "tcp4", "127.0.0.1:0", "127.0.0.1", "127.0.0.1", true},
		{"-p ipv6", "tcp6", "[::1]:0", "::1", "", true},
		{"-s -p ipv6", "tcp6", "[::1]:0", "::1", "::1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.network == "tcp6" {
				requireIPv6(t)
			}
			ctx := testCtx(t)
			ln := listenTCP(t, tt.network, tt.listen)
			accepted := acceptOne(ln)
			o := DialOptions{Network: "tcp", Host: tt.host, Port: ln.Addr().(*net.TCPAddr).Port, SourceAddr: tt.source}
			if tt.withPort {
				o.SourcePort = closedPort(t, tt.network, tt.listen)
			}
			c, err := Dial(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s := recvConn(ctx, t, accepted)
			remote := s.RemoteAddr().(*net.TCPAddr).AddrPort()
			if tt.withPort && int(remote.Port()) != o.SourcePort {
				t.Errorf("server sees port %d, want %d", remote.Port(), o.SourcePort)
			}
			if tt.source != "" && remote.Addr().String() != tt.source {
				t.Errorf("server sees %v, want %s", remote.Addr(), tt.source)
			}
		})
	}
}

// A source address of the other family cannot reach the target.
func TestDialSourceFamilyMismatch(t *testing.T) {
	requireIPv6(t)
	ln := listenTCP(t, "tcp6", "[::1]:0")
	_, err := Dial(testCtx(t), DialOptions{Network: "tcp", Host: "::1", Port: ln.Addr().(*net.TCPAddr).Port, SourceAddr: "127.0.0.1"})
	var ce *ConnectError
	if !errors.As(err, &ce) || !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Fatalf("Dial = %v, want *ConnectError with EAFNOSUPPORT", err)
	}
	if _, err := Dial(testCtx(t), DialOptions{Network: "tcp", Host: "::1", Port: 1, SourceAddr: "x", NoDNS: true}); err == nil {
		t.Error("an unresolvable -s with -n was accepted")
	}
}

func TestDialUnknownNetwork(t *testing.T) {
	if _, err := Dial(testCtx(t), DialOptions{Network: "sctp", Host: "127.0.0.1", Port: 1}); err == nil {
		t.Error("Dial sctp succeeded")
	}
}

// UDP connect: a connected socket, bound to -p when given.
func TestDialUDP(t *testing.T) {
	for _, fam := range []struct{ network, addr, host string }{
		{"udp4", "127.0.0.1:0", "127.0.0.1"},
		{"udp6", "[::1]:0", "::1"},
	} {
		t.Run(fam.network, func(t *testing.T) {
			if fam.network == "udp6" {
				requireIPv6(t)
			}
			srv, err := net.ListenPacket(fam.network, fam.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.SetDeadline(time.Now().Add(testTimeout))
			free, err := net.ListenPacket(fam.network, fam.addr)
			if err != nil {
				t.Fatal(err)
			}
			srcPort := free.LocalAddr().(*net.UDPAddr).Port
			free.Close()
			c, err := Dial(testCtx(t), DialOptions{Network: "udp", Host: fam.host, Port: srv.LocalAddr().(*net.UDPAddr).Port, SourcePort: srcPort})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, ok := c.(*net.UDPConn); !ok {
				t.Errorf("Dial returned %T", c)
			}
			c.Write([]byte("dgram"))
			b := make([]byte, 100)
			n, from, err := srv.ReadFrom(b)
			if err != nil || string(b[:n]) != "dgram" {
				t.Fatalf("server got %q, %v", b[:n], err)
			}
			if got := from.(*net.UDPAddr).Port; got != srcPort {
				t.Errorf("datagram from port %d, want %d", got, srcPort)
			}
		})
	}
}

func TestListenAndDialUnix(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(socketDir(t), "s")
	lns, err := Listen(ctx, ListenOptions{Network: "unix", Host: path})
	if err != nil {
		t.Fatal(err)
	}
	if len(lns) != 1 {
		t.Fatalf("%d listeners", len(lns))
	}
	defer lns[0].Close()
	accepted := acceptOne(lns[0])
	c, err := Dial(ctx, DialOptions{Network: "unix", Host: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*net.UnixConn); !ok {
		t.Errorf("Dial unix returned %T, want the bare *net.UnixConn", c)
	}
	s := recvConn(ctx, t, accepted)
	c.Write([]byte("up"))
	s.Write([]byte("down"))
	b := make([]byte, 4)
	if _, err := io.ReadFull(s, b[:2]); err != nil || string(b[:2]) != "up" {
		t.Errorf("server got %q, %v", b[:2], err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "down" {
		t.Errorf("client got %q, %v", b, err)
	}

	// A second listener on the same path is a BindError.
	_, err = Listen(ctx, ListenOptions{Network: "unix", Host: path})
	var be *BindError
	if !errors.As(err, &be) || err.Error() != fmt.Sprintf("bind to %s: Address already in use.", path) {
		t.Errorf("second Listen = %v, want BindError \"bind to %s: Address already in use.\"", err, path)
	}

	// A missing socket is a ConnectError.
	_, err = Dial(ctx, DialOptions{Network: "unix", Host: path + ".missing"})
	var ce *ConnectError
	if !errors.As(err, &ce) || err.Error() != "No such file or directory." {
		t.Errorf("Dial to a missing socket = %v, want ConnectError \"No such file or directory.\"", err)
	}

	// gnc removes the socket file it created (ncat leaves it behind).
	lns[0].Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file %s still there after the listener closed: %v", path, err)
	}
}

// unixgram: the client binds a temporary socket (or -s PATH) that the
// server replies to, and Close removes it; the listener's Close removes its
// own path.
func TestUnixgram(t *testing.T) {
	for _, withSource := range []bool{false, true} {
		t.Run(fmt.Sprintf("source=%v", withSource), func(t *testing.T) {
			ctx := testCtx(t)
			dir := socketDir(t)
			path := filepath.Join(dir, "srv")
			pcs, err := ListenPacket(ctx, ListenOptions{Network: "unixgram", Host: path})
			if err != nil {
				t.Fatal(err)
			}
			srv := pcs[0]
			defer srv.Close()
			srv.SetDeadline(time.Now().Add(testTimeout))
			o := DialOptions{Network: "unixgram", Host: path}
			if withSource {
				o.SourceAddr = filepath.Join(dir, "cli")
			}
			c, err := Dial(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			uc, ok := c.(*UnixgramConn)
			if !ok {
				c.Close()
				t.Fatalf("Dial unixgram returned %T, want *UnixgramConn", c)
			}
			local := uc.LocalAddr().String()
			if withSource && local != o.SourceAddr {
				t.Errorf("client bound %q, want -s %q", local, o.SourceAddr)
			}
			c.Write([]byte("ping"))
			b := make([]byte, 100)
			n, from, err := srv.ReadFrom(b)
			if err != nil || string(b[:n]) != "ping" {
				t.Fatalf("server got %q, %v", b[:n], err)
			}
			if from == nil || from.String() != local {
				t.Errorf("datagram from %v, want %q", from, local)
			}
			if _, err := srv.WriteTo([]byte("pong"), from); err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(testTimeout))
			if n, err := c.Read(b); err != nil || string(b[:n]) != "pong" {
				t.Errorf("client got %q, %v", b[:n], err)
			}
			if _, err := os.Stat(local); err != nil {
				t.Fatalf("client socket %q missing while open: %v", local, err)
			}
			c.Close()
			if _, err := os.Stat(local); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("client socket %q still there after Close: %v", local, err)
			}
			srv.Close()
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("listener socket %q still there after Close: %v", path, err)
			}
		})
	}
}

// A failed unixgram dial leaves no source socket behind.
func TestUnixgramDialFailureRemovesSource(t *testing.T) {
	dir := socketDir(t)
	src := filepath.Join(dir, "cli")
	_, err := Dial(testCtx(t), DialOptions{Network: "unixgram", Host: filepath.Join(dir, "nobody"), SourceAddr: src})
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("Dial = %v, want *ConnectError", err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("source socket left behind: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left in %s: %v", dir, entries)
	}
}

// ConnectPacket locks a listening datagram socket onto its first peer:
// Read and Write then work, and other senders are not delivered.
func TestConnectPacket(t *testing.T) {
	for _, fam := range []struct{ network, addr string }{
		{"udp4", "127.0.0.1:0"},
		{"udp6", "[::1]:0"},
	} {
		t.Run(fam.network, func(t *testing.T) {
			if fam.network == "udp6" {
				requireIPv6(t)
			}
			host, _, _ := net.SplitHostPort(fam.addr)
			pcs, err := ListenPacket(testCtx(t), ListenOptions{Network: "udp", Host: host})
			if err != nil {
				t.Fatal(err)
			}
			srv := pcs[0]
			defer srv.Close()
			srv.SetDeadline(time.Now().Add(testTimeout))
			dial := func() *net.UDPConn {
				c, err := net.DialUDP(fam.network, nil, srv.LocalAddr().(*net.UDPAddr))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				c.SetDeadline(time.Now().Add(testTimeout))
				return c
			}
			first, other := dial(), dial()
			first.Write([]byte("hello"))
			b := make([]byte, 100)
			n, from, err := srv.ReadFrom(b)
			if err != nil || string(b[:n]) != "hello" {
				t.Fatalf("got %q, %v", b[:n], err)
			}
			if err := ConnectPacket(srv, from); err != nil {
				t.Fatalf("ConnectPacket: %v", err)
			}
			conn := srv.(net.Conn)
			if _, err := conn.Write([]byte("reply")); err != nil {
				t.Fatal(err)
			}
			if n, err := first.Read(b); err != nil || string(b[:n]) != "reply" {
				t.Errorf("first peer got %q, %v", b[:n], err)
			}
			other.Write([]byte("intruder"))
			first.Write([]byte("again"))
			if n, err := conn.Read(b); err != nil || string(b[:n]) != "again" {
				t.Errorf("connected socket read %q, %v; want only the first peer's \"again\"", b[:n], err)
			}
		})
	}
}

func TestConnectPacketUnixgram(t *testing.T) {
	ctx := testCtx(t)
	dir := socketDir(t)
	pcs, err := ListenPacket(ctx, ListenOptions{Network: "unixgram", Host: filepath.Join(dir, "srv")})
	if err != nil {
		t.Fatal(err)
	}
	srv := pcs[0]
	defer srv.Close()
	srv.SetDeadline(time.Now().Add(testTimeout))
	c, err := Dial(ctx, DialOptions{Network: "unixgram", Host: filepath.Join(dir, "srv")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	c.Write([]byte("hi"))
	b := make([]byte, 10)
	_, from, err := srv.ReadFrom(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ConnectPacket(srv, from); err != nil {
		t.Fatalf("ConnectPacket: %v", err)
	}
	srv.(net.Conn).Write([]byte("yo"))
	if n, err := c.Read(b); err != nil || string(b[:n]) != "yo" {
		t.Errorf("client got %q, %v", b[:n], err)
	}

	if err := ConnectPacket(srv, &net.UnixAddr{Net: "unixgram"}); err == nil {
		t.Error("ConnectPacket to an unnamed peer succeeded")
	}
	if err := ConnectPacket(fakePacketConn{}, from); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ConnectPacket on a non-socket = %v, want ErrUnsupported", err)
	}
}

type fakePacketConn struct{ net.PacketConn }
