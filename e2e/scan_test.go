//go:build linux

package e2e

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"gnc/internal/scan"
	"gnc/internal/testnet"
)

// openLine is the stdout line of an open TCP port, in OpenBSD nc's words,
// with the service name /etc/services gives the port ("*" for none).
func openLine(t testing.TB, host string, port int) string {
	t.Helper()
	return openLineProto(t, "tcp", host, port)
}

func openLineProto(t testing.TB, proto, host string, port int) string {
	t.Helper()
	name := "*"
	if f, err := os.Open("/etc/services"); err == nil {
		names, _ := scan.ParseServices(f, proto)
		f.Close()
		if n := names[uint16(port)]; n != "" {
			name = n
		}
	}
	return fmt.Sprintf("Connection to %s %d port [%s/%s] succeeded!\n", host, port, proto, name)
}

func refusedLine(host string, port int) string { return refusedLineProto("tcp", host, port) }

func refusedLineProto(proto, host string, port int) string {
	return fmt.Sprintf(`gnc: connect to %s port %d \(%s\) failed: Connection refused\.`, regexp.QuoteMeta(host), port, proto)
}

// TestZeroIOScan: -z over a block of loopback ports, some listening.
func TestZeroIOScan(t *testing.T) {
	t.Parallel()
	base := testnet.PortBlock(t, "tcp", v4, 12, 1, 4, 11)
	port := func(i int) string { return itoa(base + i) }

	t.Run("open ports on stdout in port order, each once", func(t *testing.T) {
		p := gnc(t, "-z", v4, port(0)+"-"+port(5)+","+port(11), port(4), port(11)+"-"+port(11))
		p.expectExit(0)
		want := openLine(t, v4, base+1) + openLine(t, v4, base+4) + openLine(t, v4, base+11)
		if got := p.stdout.String(); got != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
		}
		if got := p.stderr.String(); got != "" {
			t.Errorf("stderr %q, want none without -v", got)
		}
	})
	t.Run("-v adds closed ports and a summary on stderr", func(t *testing.T) {
		p := gnc(t, "-zv", v4, port(0)+"-"+port(11))
		p.expectExit(0)
		want := openLine(t, v4, base+1) + openLine(t, v4, base+4) + openLine(t, v4, base+11)
		if got := p.stdout.String(); got != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
		}
		lines := []string{`gnc: Version .*`}
		for i := range 12 {
			if i != 1 && i != 4 && i != 11 {
				lines = append(lines, refusedLine(v4, base+i))
			}
		}
		lines = append(lines, `gnc: 3 of 12 ports open on 127\.0\.0\.1 in \d+\.\d\d seconds\.`)
		matchLines(t, p.stderr.String(), lines...)
	})
	t.Run("none open: exit 1, silent without -v", func(t *testing.T) {
		p := gnc(t, "-z", v4, port(2)+"-"+port(3), port(5))
		p.expectExit(1)
		if out := p.stdout.String() + p.stderr.String(); out != "" {
			t.Errorf("output %q, want none", out)
		}
		q := gnc(t, "-vz", v4, port(2), port(3))
		q.expectExit(1)
		matchLines(t, q.stderr.String(), `gnc: Version .*`, refusedLine(v4, base+2), refusedLine(v4, base+3),
			`gnc: 0 of 2 ports open on 127\.0\.0\.1 in \d+\.\d\d seconds\.`)
	})
	t.Run("a name shows its address", func(t *testing.T) {
		p := gnc(t, "-4", "-z", "localhost", port(0)+"-"+port(1))
		p.expectExit(0)
		if got, want := p.stdout.String(), openLine(t, "localhost (127.0.0.1)", base+1); got != want {
			t.Errorf("stdout %q, want %q", got, want)
		}
	})
	t.Run("source address and port", func(t *testing.T) {
		src := testnet.FreePort(t, "tcp", v4)
		p := gnc(t, "-z", "-s", v4, "-p", itoa(src), v4, port(0)+"-"+port(4))
		p.expectExit(0)
		if got, want := p.stdout.String(), openLine(t, v4, base+1)+openLine(t, v4, base+4); got != want {
			t.Errorf("stdout %q, want %q", got, want)
		}
	})
	t.Run("filtered port: TIMEOUT after -w", func(t *testing.T) {
		filtered := fullListener(t)
		p := gnc(t, "-zv", "-w", "300ms", v4, itoa(filtered)+","+port(1))
		p.expectExit(0)
		if got, want := p.stdout.String(), openLine(t, v4, base+1); got != want {
			t.Errorf("stdout %q, want %q", got, want)
		}
		matchLines(t, p.stderr.String(), `gnc: Version .*`,
			fmt.Sprintf(`gnc: connect to 127\.0\.0\.1 port %d \(tcp\) failed: TIMEOUT\.`, filtered),
			`gnc: 1 of 2 ports open on 127\.0\.0\.1 in \d+\.\d\d seconds\.`)
	})
	t.Run("bad lists", func(t *testing.T) {
		for _, tc := range []struct{ spec, msg string }{
			{"0,80", `Invalid port list "0,80": "0": ports are 1 to 65535.`},
			{"1-65536", `Invalid port list "1-65536": "1-65536": ports are 1 to 65535.`},
			{"30-20", `Invalid port list "30-20": range "30-20" ends before it starts.`},
			{"a-b", `Invalid port list "a-b": "a-b" is not a port (N) or a range (N-M).`},
			{"80,,81", `Invalid port list "80,,81": empty item.`},
		} {
			p := gnc(t, "-z", v4, tc.spec)
			p.expectExit(2)
			if got, want := p.stderr.String(), "gnc: "+tc.msg+" QUITTING.\n"; got != want {
				t.Errorf("-z %s: stderr %q, want %q", tc.spec, got, want)
			}
		}
	})
}

// TestZeroIOScanUDP: -z -u with a port list over loopback, which does not
// rate-limit ICMP errors: bound ports are silent (reported as open, as
// ncat's one-port -z -u does), the others refused.
func TestZeroIOScanUDP(t *testing.T) {
	t.Parallel()
	base := testnet.PortBlock(t, "udp", v4, 4, 1, 3)
	p := gnc(t, "-zuv", v4, itoa(base)+"-"+itoa(base+3))
	p.expectExit(0)
	if got, want := p.stdout.String(), openLineProto(t, "udp", v4, base+1)+openLineProto(t, "udp", v4, base+3); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	matchLines(t, p.stderr.String(), `gnc: Version .*`,
		refusedLineProto("udp", v4, base), refusedLineProto("udp", v4, base+2),
		`gnc: 2 of 4 ports open on 127\.0\.0\.1 in \d+\.\d\d seconds\.`)

	q := gnc(t, "-zu", v4, itoa(base)+","+itoa(base+2))
	q.expectExit(1)
	if out := q.stdout.String() + q.stderr.String(); out != "" {
		t.Errorf("none open: output %q, want none", out)
	}
}

// TestZeroIOScanIPv6: a range against ::1.
func TestZeroIOScanIPv6(t *testing.T) {
	t.Parallel()
	testnet.RequireIPv6(t)
	base := testnet.PortBlock(t, "tcp", v6, 6, 0, 5)
	p := gnc(t, "-z", v6, itoa(base)+"-"+itoa(base+5))
	p.expectExit(0)
	if got, want := p.stdout.String(), openLine(t, v6, base)+openLine(t, v6, base+5); got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	q := gnc(t, "-6", "-zv", v6, itoa(base+1)+","+itoa(base+2))
	q.expectExit(1)
	matchLines(t, q.stderr.String(), `gnc: Version .*`, refusedLine(v6, base+1), refusedLine(v6, base+2),
		`gnc: 0 of 2 ports open on ::1 in \d+\.\d\d seconds\.`)
}

// TestInteropZeroIOScan: gnc's open-port lines are the ones nc.openbsd -zv
// prints for the same ports.
func TestInteropZeroIOScan(t *testing.T) {
	t.Parallel()
	nc := requirePeer(t, "nc.openbsd")
	base := testnet.PortBlock(t, "tcp", v4, 8, 2, 3, 7)
	spec := itoa(base) + "-" + itoa(base+7)
	n := startProc(t, procOpts{}, nc, "-zv", v4, spec)
	n.expectExit(0)
	var want strings.Builder
	for line := range strings.Lines(n.stderr.String()) {
		if strings.HasSuffix(line, "succeeded!\n") {
			want.WriteString(line)
		}
	}
	g := gnc(t, "-z", v4, spec)
	g.expectExit(0)
	if got := g.stdout.String(); got != want.String() || got == "" {
		t.Errorf("gnc -z stdout:\n%s\nnc.openbsd -zv succeeded lines:\n%s", got, want.String())
	}
}

// fullListener listens on 127.0.0.1 with a backlog of 0, never accepts,
// and fills the queue with one connection, so the kernel drops later SYNs:
// a port that neither accepts nor refuses. It returns the port.
func fullListener(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	c, err := net.Dial("tcp", testnet.Addr(v4, port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return port
}

// TestZeroIOScanSignal: SIGINT ends a scan that waits on a filtered port
// (with -w far away), and gnc dies by the signal.
func TestZeroIOScanSignal(t *testing.T) {
	t.Parallel()
	filtered := fullListener(t)
	_, port := listenTCP(t, v4)
	p := gnc(t, "-zv", "-w", "1h", v4, itoa(filtered)+","+itoa(port))
	p.waitStderr("gnc: Version")
	p.signal(syscall.SIGINT)
	p.wait()
	if sig := p.killedBy(); sig != syscall.SIGINT {
		t.Errorf("gnc ended by %v, want SIGINT\n%s", sig, p.dump())
	}
}
