//go:build linux

package e2e

import (
	"net"
	"regexp"
	"testing"

	"gnc/internal/testnet"
)

// TestConnectTCP is the basic session both ways, over each family: stdin
// goes out, the server's bytes come to stdout, stdin EOF half-closes, the
// server's close ends gnc with 0 and nothing on stderr.
func TestConnectTCP(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			if host == v6 {
				testnet.RequireIPv6(t)
			}
			ln, port := listenTCP(t, host)
			p := gnc(t, host, itoa(port))
			c := accept(t, ln)

			p.write("hello from gnc\n")
			readUntil(t, c, "hello from gnc\n")
			write(t, c, "hello from server\n")
			p.waitStdout("hello from server\n")

			p.closeStdin()
			expectEOF(t, c, "")
			c.Close()
			p.expectExit(0)
			if got := p.stdout.String(); got != "hello from server\n" {
				t.Errorf("stdout = %q", got)
			}
			if got := p.stderr.String(); got != "" {
				t.Errorf("stderr = %q, want nothing", got)
			}
		})
	}
}

// TestConnectFamilyOption checks -4 and -6: a name goes to the chosen family
// only; a literal of the other family is a resolution error (exit 2).
func TestConnectFamilyOption(t *testing.T) {
	t.Parallel()
	t.Run("literal of the other family", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ flag, host string }{{"-6", v4}, {"-4", v6}} {
			p := gnc(t, tc.flag, tc.host, "9")
			p.expectExit(2)
			want := "gnc: Could not resolve hostname \"" + tc.host + "\": Address family for hostname not supported. QUITTING.\n"
			if got := p.stderr.String(); got != want {
				t.Errorf("gnc %s %s: stderr = %q, want %q", tc.flag, tc.host, got, want)
			}
		}
	})
	for _, tc := range []struct{ flag, host string }{{"-4", v4}, {"-6", v6}} {
		t.Run(tc.flag+" name", func(t *testing.T) {
			t.Parallel()
			d := needDualName(t)
			ln, port := listenTCP(t, tc.host)
			p := d.start(t, tc.flag, d.name, itoa(port))
			c := accept(t, ln)
			if ip := c.RemoteAddr().(*net.TCPAddr).IP.String(); ip != tc.host {
				t.Errorf("server saw a client from %s, want %s", ip, tc.host)
			}
			write(t, c, "ok\n")
			c.Close()
			p.waitStdout("ok\n")
			p.expectExit(0)
		})
	}
}

// TestConnectFallback: a name with two addresses, a server on only one of
// them: gnc moves on from the refused address and connects to the other.
func TestConnectFallback(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		t.Run("only "+host+" listens", func(t *testing.T) {
			t.Parallel()
			d := needDualName(t)
			ln, port := listenTCP(t, host)
			p := d.start(t, d.name, itoa(port))
			c := accept(t, ln)
			p.write("x\n")
			readUntil(t, c, "x\n")
			write(t, c, "y\n")
			c.Close()
			p.waitStdout("y\n")
			p.expectExit(0)
		})
	}
	// -w bounds each attempt: an address that never answers is given up
	// after the timeout and the next one is tried (#157). Resolvers put
	// ::1 first (RFC 6724); both orders are covered.
	for _, tc := range []struct{ stalled, serving string }{{v6, v4}, {v4, v6}} {
		t.Run("after a -w timeout on "+tc.stalled, func(t *testing.T) {
			t.Parallel()
			d := needDualName(t)
			var port int
			var ln net.Listener
			for range 20 {
				p, ok := fullBacklogListener(t, tc.stalled, 0)
				if !ok {
					continue
				}
				if l, err := net.Listen("tcp", testnet.Addr(tc.serving, p)); err == nil {
					port, ln = p, l
					t.Cleanup(func() { l.Close() })
					break
				}
			}
			if ln == nil {
				t.Skip("no port free for a listener beside the stalled one")
			}
			p := d.start(t, "-w", "500ms", d.name, itoa(port))
			c := accept(t, ln)
			write(t, c, "via "+tc.serving+"\n")
			c.Close()
			p.waitStdout("via " + tc.serving + "\n")
			p.expectExit(0)
		})
	}
}

// TestConnectTimeout: -w on an address that never answers: exit 1 and
// ncat's "TIMEOUT." line.
func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	port, _ := fullBacklogListener(t, v4, 0)
	p := gnc(t, "-w", "300ms", v4, itoa(port))
	p.expectExit(1)
	if got, want := p.stderr.String(), "gnc: TIMEOUT.\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// TestConnectSource: -s and -p bind the local end; the server sees them.
func TestConnectSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, host string
		withAddr   bool
	}{
		{"-p v4", v4, false},
		{"-s -p v4", v4, true},
		{"-p v6", v6, false},
		{"-s -p v6", v6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.host == v6 {
				testnet.RequireIPv6(t)
			}
			ln, port := listenTCP(t, tc.host)
			src := testnet.FreePort(t, "tcp", tc.host)
			args := []string{"-p", itoa(src)}
			if tc.withAddr {
				args = append(args, "-s", tc.host)
			}
			p := gnc(t, append(args, tc.host, itoa(port))...)
			c := accept(t, ln)
			ra := c.RemoteAddr().(*net.TCPAddr)
			if ra.Port != src || ra.IP.String() != tc.host {
				t.Errorf("server saw the client at %v, want %s port %d", ra, tc.host, src)
			}
			c.Close()
			p.expectExit(0)
		})
	}
	t.Run("-s only", func(t *testing.T) {
		t.Parallel()
		ln, port := listenTCP(t, v4)
		p := gnc(t, "-s", v4, v4, itoa(port))
		c := accept(t, ln)
		if ip := c.RemoteAddr().(*net.TCPAddr).IP.String(); ip != v4 {
			t.Errorf("server saw the client from %s", ip)
		}
		c.Close()
		p.expectExit(0)
	})
}

// TestConnectNoDNS: -n takes numeric hosts and refuses names without
// looking them up.
func TestConnectNoDNS(t *testing.T) {
	t.Parallel()
	ln, port := listenTCP(t, v4)
	p := gnc(t, "-n", v4, itoa(port))
	c := accept(t, ln)
	write(t, c, "numeric\n")
	c.Close()
	p.waitStdout("numeric\n")
	p.expectExit(0)

	q := gnc(t, "-n", "localhost", itoa(port))
	q.expectExit(2)
	want := "gnc: Could not resolve hostname \"localhost\": Name or service not known. QUITTING.\n"
	if got := q.stderr.String(); got != want {
		t.Errorf("-n localhost: stderr = %q, want %q", got, want)
	}
}

// TestZeroIO: -z reports only by exit status unless -v.
func TestZeroIO(t *testing.T) {
	t.Parallel()
	t.Run("tcp", func(t *testing.T) {
		t.Parallel()
		for _, host := range []string{v4, v6} {
			if host == v6 && !testnet.HasIPv6() {
				continue
			}
			ln, open := listenTCP(t, host)
			closed := testnet.FreePort(t, "tcp", host)

			p := gnc(t, "-z", host, itoa(open))
			c := accept(t, ln)
			expectEOF(t, c, "")
			p.expectExit(0)
			if p.stdout.String()+p.stderr.String() != "" {
				t.Errorf("-z open: output %q %q, want none", p.stdout.String(), p.stderr.String())
			}

			q := gnc(t, "-z", host, itoa(closed))
			q.expectExit(1)
			if q.stdout.String()+q.stderr.String() != "" {
				t.Errorf("-z closed: output %q %q, want none", q.stdout.String(), q.stderr.String())
			}

			v := gnc(t, "-vz", host, itoa(open))
			accept(t, ln)
			v.expectExit(0)
			matchLines(t, v.stderr.String(),
				`gnc: Version .*`,
				`gnc: Connected to `+regexp.QuoteMeta(host)+`:`+itoa(open)+`\.`,
				`gnc: 0 bytes sent, 0 bytes received in \d+\.\d\d seconds\.`)

			w := gnc(t, "-vz", host, itoa(closed))
			w.expectExit(1)
			matchLines(t, w.stderr.String(), `gnc: Version .*`, `gnc: Connection refused\.`)
		}
	})
	t.Run("udp", func(t *testing.T) {
		t.Parallel()
		pc := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
		open := testnet.Port(pc.LocalAddr())
		p := gnc(t, "-uvz", v4, itoa(open))
		if got, _ := readDatagram(t, pc); got != "\x00" {
			t.Errorf("-z -u sent %q, want one NUL byte", got)
		}
		p.expectExit(0)
		matchLines(t, p.stderr.String(),
			`gnc: Version .*`,
			`gnc: Connected to 127\.0\.0\.1:`+itoa(open)+`\.`,
			`gnc: UDP packet sent successfully`, // ncat 7.93 prefixes it too
			`gnc: 1 bytes sent, 0 bytes received in \d+\.\d\d seconds\.`)

		closed := testnet.FreePort(t, "udp", v4)
		q := gnc(t, "-uz", v4, itoa(closed))
		q.expectExit(1)
		if q.stdout.String()+q.stderr.String() != "" {
			t.Errorf("-uz closed: output %q %q, want none", q.stdout.String(), q.stderr.String())
		}
	})
}

// TestConnectVerbose checks the -v lines of a connect session.
func TestConnectVerbose(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			if host == v6 {
				testnet.RequireIPv6(t)
			}
			ln, port := listenTCP(t, host)
			p := gnc(t, "-v", host, itoa(port))
			c := accept(t, ln)
			p.write("abcdef")
			readUntil(t, c, "abcdef")
			write(t, c, "123456789")
			p.waitStdout("123456789")
			p.closeStdin()
			expectEOF(t, c, "")
			c.Close()
			p.expectExit(0)
			matchLines(t, p.stderr.String(),
				`gnc: Version .*`,
				`gnc: Connected to `+regexp.QuoteMeta(host)+`:`+itoa(port)+`\.`,
				`gnc: 6 bytes sent, 9 bytes received in \d+\.\d\d seconds\.`)
		})
	}
}
