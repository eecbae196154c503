//go:build linux

package e2e

import (
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// session runs one single-connection exchange with a gnc listener: data
// both ways, then the client's EOF ends gnc with status 0, and the client
// sees gnc's close.
func session(t *testing.T, p *proc, network, addr string) net.Conn {
	t.Helper()
	c := dial(t, network, addr)
	write(t, c, "from client\n")
	p.waitStdout("from client\n")
	p.write("from gnc\n")
	readUntil(t, c, "from gnc\n")
	closeWrite(t, c)
	p.expectExit(0)
	expectEOF(t, c, "")
	if got := p.stdout.String(); got != "from client\n" {
		t.Errorf("stdout = %q", got)
	}
	return c
}

// TestListenForms checks the ways to name the listening address and port.
func TestListenForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    func(port int) []string
		connect string // the address a client uses
		v6      bool
	}{
		{"-l addr port", func(p int) []string { return []string{"-l", v4, itoa(p)} }, v4, false},
		{"-l ::1 port", func(p int) []string { return []string{"-l", v6, itoa(p)} }, v6, true},
		{"-l -p port", func(p int) []string { return []string{"-l", "-p", itoa(p)} }, v4, false},
		{"-lp port", func(p int) []string { return []string{"-lp", itoa(p)} }, v4, false},
		{"-l port (IPv6 client)", func(p int) []string { return []string{"-l", itoa(p)} }, v6, true},
		{"-l port (IPv4 client)", func(p int) []string { return []string{"-l", itoa(p)} }, v4, false},
		{"port -l (option after)", func(p int) []string { return []string{v4, itoa(p), "-l"} }, v4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.v6 {
				testnet.RequireIPv6(t)
			}
			port := testnet.FreePortDual(t, "tcp")
			p := gnc(t, tc.args(port)...)
			waitListening(t, "tcp", port, "")
			session(t, p, "tcp", testnet.Addr(tc.connect, port))
			if got := p.stderr.String(); got != "" {
				t.Errorf("stderr = %q, want nothing without -v", got)
			}
		})
	}
}

// TestListenStdinWaitsForClient: stdin typed before anyone connects is kept
// for the client rather than lost (§4).
func TestListenStdinWaitsForClient(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-l", v4, itoa(port))
	p.write("early\n")
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	readUntil(t, c, "early\n")
	c.Close()
	p.expectExit(0)
}

// TestListenSingleConnection: without -k the listening sockets close after
// the first accept (later clients are refused, on every family), and the
// client's EOF ends gnc with 0 even while stdin stays open.
func TestListenSingleConnection(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	p := gnc(t, "-l", itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, c, "first\n")
	p.waitStdout("first\n")
	expectRefused(t, testnet.Addr(v4, port))
	if testnet.HasIPv6() {
		expectRefused(t, testnet.Addr(v6, port))
	}
	closeWrite(t, c)
	p.expectExit(0)
}

// TestListenDualStack: with no address gnc listens on :: and 0.0.0.0; both
// loopbacks connect, and -v names both sockets.
func TestListenDualStack(t *testing.T) {
	t.Parallel()
	testnet.RequireIPv6(t)
	port := testnet.FreePortDual(t, "tcp")
	p := gnc(t, "-v", "-l", "-k", itoa(port))
	p.waitStderrCount("Listening on", 2)
	c4 := dial(t, "tcp", testnet.Addr(v4, port))
	c6 := dial(t, "tcp", testnet.Addr(v6, port))
	write(t, c4, "over v4\n")
	write(t, c6, "over v6\n")
	p.waitStdout("over v4\n")
	p.waitStdout("over v6\n")
	p.write("to both\n")
	readUntil(t, c4, "to both\n")
	readUntil(t, c6, "to both\n")
	s := p.stderr.String()
	for _, want := range []string{"gnc: Listening on :::" + itoa(port) + "\n", "gnc: Listening on 0.0.0.0:" + itoa(port) + "\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%s", want, s)
		}
	}
}

// TestListenFamilyOption: -4 and -6 keep only one listening socket.
func TestListenFamilyOption(t *testing.T) {
	t.Parallel()
	testnet.RequireIPv6(t)
	for _, tc := range []struct {
		flag, yes, no, listening string
	}{
		{"-4", v4, v6, "0.0.0.0"},
		{"-6", v6, v4, "::"},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePortDual(t, "tcp")
			p := gnc(t, tc.flag, "-v", "-l", "-k", itoa(port))
			p.waitStderr("Listening on")
			c := dial(t, "tcp", testnet.Addr(tc.yes, port))
			write(t, c, "hi\n")
			p.waitStdout("hi\n")
			expectRefused(t, testnet.Addr(tc.no, port))
			if n := strings.Count(p.stderr.String(), "Listening on"); n != 1 {
				t.Errorf("%d Listening lines, want 1:\n%s", n, p.stderr.String())
			}
			p.waitStderr("gnc: Listening on " + tc.listening + ":" + itoa(port) + "\n")
		})
	}
}

// TestListenDefaultPort: with no port gnc listens on 31337 (both families).
// Skipped when something else holds that port.
func TestListenDefaultPort(t *testing.T) {
	if !testnet.PortFree("tcp", 31337) {
		t.Skip("port 31337 is in use; cannot test the default port")
	}
	p := gnc(t, "-v", "-l", "-k")
	p.waitStderr("Listening on")
	c := dial(t, "tcp", testnet.Addr(v4, 31337))
	write(t, c, "default port\n")
	p.waitStdout("default port\n")
	p.waitStderr("gnc: Listening on 0.0.0.0:31337\n")
	if testnet.HasIPv6() {
		p.waitStderr("gnc: Listening on :::31337\n")
	}
	p.signal(syscall.SIGTERM)
	p.wait()
}

// TestListenKeepOpen: -k serves several clients at once: each client's data
// reaches stdout, stdin reaches every connected client, clients come and
// go, and stdin EOF half-closes every client while gnc keeps serving.
func TestListenKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	p := gnc(t, "-l", "-k", itoa(port))
	waitListening(t, "tcp", port, "")
	hosts := []string{v4, v4, v4}
	if testnet.HasIPv6() {
		hosts = append(hosts, v6)
	}
	var cs []net.Conn
	for i, h := range hosts {
		c := dial(t, "tcp", testnet.Addr(h, port))
		msg := "client " + itoa(i) + "\n"
		write(t, c, msg)
		p.waitStdout(msg) // the client is being served
		cs = append(cs, c)
	}
	p.write("to all\n")
	for _, c := range cs {
		readUntil(t, c, "to all\n")
	}

	// One client leaves; the rest carry on.
	cs[0].Close()
	p.write("to the rest\n")
	for _, c := range cs[1:] {
		readUntil(t, c, "to the rest\n")
	}
	write(t, cs[1], "still here\n")
	p.waitStdout("still here\n")

	// A newcomer gets what is typed from now on.
	late := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, late, "late\n")
	p.waitStdout("late\n")
	p.write("after late\n")
	readUntil(t, late, "after late\n")

	// stdin EOF: every client is half-closed, gnc keeps reading them and
	// keeps accepting.
	p.closeStdin()
	for _, c := range cs[1:] {
		expectEOF(t, c, "after late\n")
	}
	expectEOF(t, late, "")
	write(t, cs[1], "after stdin EOF\n")
	p.waitStdout("after stdin EOF\n")
	again := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, again, "new after stdin EOF\n")
	p.waitStdout("new after stdin EOF\n")
	p.requireRunning("-k never exits by itself")
}

// tryClient connects to addr and sends msg; it reports whether gnc took the
// client (msg reached stdout) rather than closing it at once (-m).
func tryClient(t *testing.T, p *proc, addr, msg string) (net.Conn, bool) {
	t.Helper()
	c := dial(t, "tcp", addr)
	write(t, c, msg)
	deadline := time.Now().Add(waitTimeout)
	var buf [64]byte
	for time.Now().Before(deadline) {
		if strings.Contains(p.stdout.String(), msg) {
			return c, true
		}
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(buf[:])
		if err == io.EOF || errorsIsReset(err) {
			c.Close()
			return nil, false
		}
	}
	t.Fatalf("client %q neither served nor closed within %v\n%s", msg, waitTimeout, p.dump())
	return nil, false
}

// TestListenMaxConns: over -m a client is accepted and closed at once, with
// ncat's -v line; a slot freed by a leaving client is used again.
func TestListenMaxConns(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	addr := testnet.Addr(v4, port)
	p := gnc(t, "-v", "-l", "-k", "-m", "2", v4, itoa(port))
	p.waitStderr("Listening on")
	c1, ok1 := tryClient(t, p, addr, "one\n")
	_, ok2 := tryClient(t, p, addr, "two\n")
	if !ok1 || !ok2 {
		t.Fatalf("clients within -m 2 were refused\n%s", p.dump())
	}
	if _, ok := tryClient(t, p, addr, "three\n"); ok {
		t.Fatalf("a third client was served with -m 2\n%s", p.dump())
	}
	p.waitStderr("gnc: New connection denied: connection limit reached (2)\n")

	c1.Close()
	served := false
	for i := 0; i < 50 && !served; i++ {
		_, served = tryClient(t, p, addr, "again "+itoa(i)+"\n")
	}
	if !served {
		t.Fatalf("no client served after one of two left\n%s", p.dump())
	}
}

// TestListenMaxConnsZero: -m 0 refuses everyone.
func TestListenMaxConnsZero(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "-l", "-k", "-m", "0", v4, itoa(port))
	p.waitStderr("Listening on")
	if _, ok := tryClient(t, p, testnet.Addr(v4, port), "nobody\n"); ok {
		t.Fatalf("a client was served with -m 0\n%s", p.dump())
	}
	p.waitStderr("gnc: New connection denied: connection limit reached (0)\n")
}

// TestListenVerbose checks the -v lines of a listener and its client.
func TestListenVerbose(t *testing.T) {
	t.Parallel()
	for _, host := range []string{v4, v6} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			if host == v6 {
				testnet.RequireIPv6(t)
			}
			port := testnet.FreePort(t, "tcp", host)
			p := gnc(t, "-v", "-l", host, itoa(port))
			p.waitStderr("Listening on")
			c := session(t, p, "tcp", testnet.Addr(host, port))
			q := regexp.QuoteMeta(host)
			matchLines(t, p.stderr.String(),
				`gnc: Version .*`,
				`gnc: Listening on `+q+`:`+itoa(port),
				`gnc: Connection from `+q+`\.`,
				`gnc: Connection from `+q+`:`+itoa(testnet.Port(c.LocalAddr()))+`\.`)
		})
	}
}

// TestListenAddressInUse: a port already bound is fatal: exit 2, ncat's
// message.
func TestListenAddressInUse(t *testing.T) {
	t.Parallel()
	_, port := listenTCP(t, v4)
	p := gnc(t, "-l", v4, itoa(port))
	p.expectExit(2)
	want := "gnc: bind to 127.0.0.1:" + itoa(port) + ": Address already in use. QUITTING.\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// TestListenSIGTERM: a signal ends a listener as it ends ncat: killed by
// that signal, nothing printed.
func TestListenSIGTERM(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-l"}, {"-l", "-k"}, {"-u", "-l"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			network := "tcp"
			if args[0] == "-u" {
				network = "udp"
			}
			port := testnet.FreePort(t, network, v4)
			p := gnc(t, append(args, v4, itoa(port))...)
			waitListening(t, network, port, "")
			p.signal(syscall.SIGTERM)
			p.wait()
			if sig := p.killedBy(); sig != syscall.SIGTERM {
				t.Errorf("gnc ended with status %d, want killed by SIGTERM", p.exitCode())
			}
			if got := p.stderr.String(); got != "" {
				t.Errorf("stderr = %q, want nothing", got)
			}
		})
	}
}

func errorsIsReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
