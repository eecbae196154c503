package testnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFreePortCanBeBound(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		port := FreePort(t, network, IPv4)
		if port <= 0 || port > 65535 {
			t.Fatalf("FreePort(%s) = %d", network, port)
		}
		if network == "tcp" {
			Listen(t, "tcp", Addr(IPv4, port))
		} else {
			ListenPacket(t, "udp", Addr(IPv4, port))
		}
	}
}

func TestFreePortDual(t *testing.T) {
	port := FreePortDual(t, "tcp")
	if !PortFree("tcp", port) {
		t.Fatalf("port %d from FreePortDual is not free", port)
	}
	ln := Listen(t, "tcp4", Addr("0.0.0.0", port))
	if PortFree("tcp", port) {
		t.Errorf("PortFree(%d) = true while 0.0.0.0:%d is bound", port, port)
	}
	ln.Close()
}

func TestWaitPort(t *testing.T) {
	ln := Listen(t, "tcp", Addr(IPv4, 0))
	if err := WaitPort(bounded(t), "tcp", ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	// A closed port makes WaitPort give up when its context ends.
	port := FreePort(t, "tcp", IPv4)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := WaitPort(ctx, "tcp", Addr(IPv4, port)); err == nil {
		t.Fatalf("WaitPort on closed port %d succeeded", port)
	}
}

func TestWaitListening(t *testing.T) {
	ln := Listen(t, "tcp", Addr(IPv4, 0))
	if err := WaitListening(bounded(t), "tcp", Port(ln.Addr()), ""); err != nil {
		t.Fatal(err)
	}
	pc := ListenPacket(t, "udp", Addr(IPv4, 0))
	if err := WaitListening(bounded(t), "udp", Port(pc.LocalAddr()), ""); err != nil {
		t.Fatal(err)
	}
	if HasIPv6() {
		ln6 := Listen(t, "tcp6", Addr(IPv6, 0))
		if err := WaitListening(bounded(t), "tcp6", Port(ln6.Addr()), ""); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	Listen(t, "unix", sock)
	if err := WaitListening(bounded(t), "unix", 0, sock); err != nil {
		t.Fatal(err)
	}
	dgram := filepath.Join(dir, "d")
	ListenPacket(t, "unixgram", dgram)
	if err := WaitListening(bounded(t), "unixgram", 0, dgram); err != nil {
		t.Fatal(err)
	}

	port := FreePort(t, "tcp", IPv4)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := WaitListening(ctx, "tcp", port, ""); err == nil {
		t.Fatalf("WaitListening on free port %d succeeded", port)
	}
}

func TestWaitGone(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := WaitGone(ctx, p); err == nil {
		t.Fatal("WaitGone returned while the file exists")
	}
	os.Remove(p)
	if err := WaitGone(bounded(t), p); err != nil {
		t.Fatal(err)
	}
}

func TestRequireToolSkips(t *testing.T) {
	ok := t.Run("missing", func(t *testing.T) {
		RequireTool(t, "gnc-no-such-tool-in-path")
		t.Error("RequireTool did not skip")
	})
	if !ok {
		t.Fatal("subtest failed")
	}
	if p := RequireTool(t, "sh"); p == "" {
		t.Fatal("RequireTool(sh) returned no path")
	}
}

func TestStreamDeterministic(t *testing.T) {
	a, err := io.ReadAll(NewStream(7, 100_003))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.LimitReader(NewStream(7, 1<<20), 100_003))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	c, _ := io.ReadAll(NewStream(8, 100_003))
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same bytes")
	}
	s := NewStream(7, 100_003)
	h := NewHashWriter()
	if _, err := io.Copy(h, s); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(a)
	if !bytes.Equal(s.Sum(), want[:]) || !bytes.Equal(h.Sum(), want[:]) {
		t.Fatal("stream or hash writer sum differs from sha256 of the bytes")
	}
	if h.Count() != int64(len(a)) {
		t.Fatalf("HashWriter.Count = %d, want %d", h.Count(), len(a))
	}
}

func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		host string
		port int
		want string
	}{
		{IPv4, 80, "127.0.0.1:80"},
		{IPv6, 80, "[::1]:80"},
	} {
		if got := Addr(tc.host, tc.port); got != tc.want {
			t.Errorf("Addr(%q, %d) = %q, want %q", tc.host, tc.port, got, tc.want)
		}
	}
	if got := Port(&net.TCPAddr{Port: 9}); got != 9 {
		t.Errorf("Port = %d", got)
	}
}

func TestSamePath(t *testing.T) {
	for _, tc := range []struct {
		bound, path string
		want        bool
	}{
		{"/tmp/a/s.sock", "/tmp/a/s.sock", true},
		{"s.sock", "/tmp/a/s.sock", true},
		{"a/s.sock", "/tmp/a/s.sock", true},
		{"s.sock", "/tmp/a/xs.sock", false},
		{"/tmp/b/s.sock", "/tmp/a/s.sock", false},
		{"s.sock", "s.sock", true},
	} {
		if got := samePath(tc.bound, tc.path); got != tc.want {
			t.Errorf("samePath(%q, %q) = %v, want %v", tc.bound, tc.path, got, tc.want)
		}
	}
}

func TestPortBlock(t *testing.T) {
	base := PortBlock(t, "tcp", IPv4, 4, 1, 2)
	for i := range 4 {
		c, err := net.DialTimeout("tcp", Addr(IPv4, base+i), 10*time.Second)
		if c != nil {
			c.Close()
		}
		if open := i == 1 || i == 2; open != (err == nil) {
			t.Errorf("port %d of the block: dial error %v, want open %v", i, err, open)
		}
		if ln, err := net.Listen("tcp", Addr(IPv4, base+i)); err == nil {
			ln.Close()
			t.Errorf("port %d of the block could be bound by another socket", i)
		}
	}
	ubase := PortBlock(t, "udp", IPv4, 3, 0)
	if pc, err := net.ListenPacket("udp", Addr(IPv4, ubase)); err == nil {
		pc.Close()
		t.Errorf("the open UDP port of the block could be bound again")
	}
}
