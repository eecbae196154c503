//go:build linux

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// The tests here cross features: TLS with exec, with a proxy and with
// access control, each pair built by separate work.

// TestComboTLSExec: a TLS listener runs its program behind the
// handshake (single and -k); a TLS client in connect mode runs one too.
func TestComboTLSExec(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		name := "listen single"
		if keep {
			name = "listen keep-open"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			args := []string{"-l", "--ssl", "-e", "/usr/bin/tr a-z A-Z", v4, itoa(port)}
			if keep {
				args[0] = "-lk"
			}
			p := gnc(t, args...)
			waitListening(t, "tcp", port, "")
			for i := range 2 {
				if i == 1 && !keep {
					break
				}
				c := tlsDial(t, testnet.Addr(v4, port), nil)
				write(t, c, "secret\n")
				if err := c.CloseWrite(); err != nil {
					t.Fatal(err)
				}
				if got := readAll(t, c); got != "SECRET\n" {
					t.Errorf("client %d got %q through TLS and tr", i, got)
				}
			}
			if !keep {
				p.expectExit(0)
			}
		})
	}
	t.Run("connect", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "tcp", v4)
		srv := gnc(t, "-l", "--ssl", v4, itoa(port))
		waitListening(t, "tcp", port, "")
		cli := gnc(t, "--ssl", "-c", "echo from-exec", v4, itoa(port))
		srv.waitStdout("from-exec\n")
		cli.expectExit(0)
	})
}

// TestComboTLSThroughProxy: --ssl through ncat's HTTP proxy reaches a
// gnc TLS listener; the handshake is end to end inside the tunnel and
// the messages name the target, not the proxy.
func TestComboTLSThroughProxy(t *testing.T) {
	t.Parallel()
	ncat := requirePeer(t, "ncat")
	pport := testnet.FreePort(t, "tcp", v4)
	startProc(t, procOpts{}, ncat, "-l", "--proxy-type", "http", v4, itoa(pport))
	waitListening(t, "tcp", pport, "")
	port := testnet.FreePort(t, "tcp", v4)
	srv := gnc(t, "-l", "--ssl", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	cli := gnc(t, "-v", "--ssl", "--proxy", testnet.Addr(v4, pport), v4, itoa(port))
	cli.write("hello over tls\n")
	srv.waitStdout("hello over tls\n")
	srv.write("back\n")
	cli.waitStdout("back\n")
	cli.closeStdin()
	srv.expectExit(0)
	cli.expectExit(0)
	want := "gnc: SSL connection to " + v4 + ":" + itoa(port) + " through the http proxy."
	if !strings.Contains(cli.stderr.String(), want+"\n") {
		t.Errorf("stderr lacks %q:\n%s", want, cli.stderr.String())
	}
}

// TestComboTLSAccess: a refused client of a TLS listener is closed
// before any handshake; an allowed one gets its session.
func TestComboTLSAccess(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lkv", "--ssl", "--deny", v4b, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	bad := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port))
	expectRefusedClient(t, bad)
	p.waitStderrCount(msgDenied, 1)
	good := tlsDial(t, testnet.Addr(v4, port), nil)
	write(t, good, "allowed\n")
	p.waitStdout("allowed\n")
	if strings.Contains(p.stderr.String(), "Failed SSL connection") {
		t.Errorf("the refused client cost a handshake:\n%s", p.stderr.String())
	}
}

// TestComboProxyServerTLSAndAccess: curl speaks TLS to gnc's HTTP proxy
// (an "https://" proxy), and a denied address is closed before any
// handshake.
func TestComboProxyServerTLSAndAccess(t *testing.T) {
	t.Parallel()
	origin := originServer(t)
	p, proxy := startProxyServer(t, "http", "--ssl", "--deny", v4b)
	args := []string{"-sS", "-m", "8", "--proxy-insecure", "-x", "https://" + proxy, "-w", " %{http_code}"}
	out, errs, code := runTool(t, "", "curl", append(args, origin.URL+"/tls")...)
	if out != "origin GET /tls  200" || code != 0 {
		t.Errorf("curl through the TLS proxy: %q, exit %d\n%s", out, code, errs)
	}
	bad := dialFrom(t, "tcp", v4b, proxy)
	expectRefusedClient(t, bad)
	p.waitStderrCount(msgDenied, 1)
}

// TestComboProxyClientServer: gnc's proxy client through gnc's own HTTP
// and SOCKS5 servers, with credentials, to an echo service.
func TestComboProxyClientServer(t *testing.T) {
	t.Parallel()
	echo := echoListener(t)
	_, port, _ := strings.Cut(echo.Addr().String(), ":")
	for _, typ := range []string{"http", "socks5"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			_, proxy := startProxyServer(t, typ, "--proxy-auth", "alice:s3cret")
			cli := gnc(t, "--proxy", proxy, "--proxy-type", typ, "--proxy-auth", "alice:s3cret", v4, port)
			cli.write("round trip\n")
			cli.waitStdout("round trip\n")
			cli.closeStdin()
			cli.expectExit(0)
			wrong := gnc(t, "--proxy", proxy, "--proxy-type", typ, "--proxy-auth", "alice:nope", v4, port)
			wrong.expectExit(1)
		})
	}
}

// TestComboExecTable: exec listeners are in the connection table: the
// listener, each client while its program runs, accepted and refused
// (-m) clients, and, through pipes (-C), the bytes.
func TestComboExecTable(t *testing.T) {
	t.Parallel()
	status := testnet.FreePort(t, "tcp", v4)
	port := testnet.FreePort(t, "tcp", v4)
	gnc(t, "-lk", "-m", "1", "-C", "--status", itoa(status), "-e", "/bin/cat", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	waitPort(t, testnet.Addr(v4, status))
	c := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, c, "abc\n")
	readUntil(t, c, "abc\r\n")
	refused := dial(t, "tcp", testnet.Addr(v4, port))
	expectEOF(t, refused, "")
	want := map[string]float64{
		"gnc_connections_accepted_total": 1, "gnc_connections_denied_total": 1, "gnc_connections_active": 1,
		"gnc_listeners": 1, "gnc_received_bytes_total": 4, "gnc_sent_bytes_total": 5, "gnc_broker_dropped_total": 0,
	}
	waitMetrics(t, status, want)
}

// TestComboExecUDPQueued: a datagram another sender gets in while a UDP
// exec listener is still connecting its socket to its first peer never
// reaches that peer's program, with --deny or without; the peer's own
// datagrams all do, in order.
func TestComboExecUDPQueued(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"--deny", v4b}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "udp", v4)
			addr := testnet.Addr(v4, port)
			gnc(t, append([]string{"-ul", v4, itoa(port), "-e", "/bin/cat"}, args...)...)
			waitListening(t, "udp", port, "")
			peer := dialFrom(t, "udp", v4, addr)
			other := dialFrom(t, "udp", v4b, addr)
			// Back to back: the other sender's datagrams arrive while gnc
			// has seen the peer's first one and not yet connected.
			write(t, peer, "p1\n")
			for range 5 {
				// Once gnc has connected its socket, these are refused
				// (ICMP), which a later write reports: not a failure.
				other.Write([]byte("intruder\n"))
			}
			write(t, peer, "p2\n")
			got := readUntil(t, peer, "p2\n")
			if got != "p1\np2\n" {
				t.Errorf("the peer's program echoed %q, want %q", got, "p1\np2\n")
			}
			expectQuiet(t, peer, 200*time.Millisecond)
		})
	}
}

// TestComboExecUDPTable: a UDP exec session is one row of the table,
// named by its peer, with the bytes through the program's pipes.
func TestComboExecUDPTable(t *testing.T) {
	t.Parallel()
	status := testnet.FreePort(t, "tcp", v4)
	port := testnet.FreePort(t, "udp", v4)
	gnc(t, "-ul", "--status", itoa(status), "-e", "/bin/cat", v4, itoa(port))
	waitListening(t, "udp", port, "")
	waitPort(t, testnet.Addr(v4, status))
	c := dial(t, "udp", testnet.Addr(v4, port))
	write(t, c, "hi\n")
	readUntil(t, c, "hi\n")
	want := map[string]float64{
		"gnc_connections_accepted_total": 1, "gnc_connections_denied_total": 0, "gnc_connections_active": 1,
		"gnc_listeners": 0, "gnc_received_bytes_total": 3, "gnc_sent_bytes_total": 3, "gnc_broker_dropped_total": 0,
	}
	waitMetrics(t, status, want)
}

// TestComboExecUDPBurst: a peer whose first datagrams fill the program's
// pipes before gnc relays them does not hang the session.
func TestComboExecUDPBurst(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	gnc(t, "-ul", v4, itoa(port), "-e", "/bin/cat")
	waitListening(t, "udp", port, "")
	c := dial(t, "udp", testnet.Addr(v4, port))
	big := make([]byte, 60000)
	for range 50 {
		c.Write(big) // the echo may come back refused or dropped: only the end matters
	}
	// The burst overflows the socket's receive buffer, so a ping may be
	// lost too: ping until one comes back (a hung session never answers).
	deadline := time.Now().Add(waitTimeout)
	buf := make([]byte, 1<<16)
	for time.Now().Before(deadline) {
		c.Write([]byte("ping\n"))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break // ping again
			}
			if strings.HasSuffix(string(buf[:n]), "ping\n") {
				return
			}
		}
	}
	t.Fatal("no ping came back after the burst")
}

// waitMetrics reads /metrics from the --status port until it equals want
// (the counts follow the copies a moment after the peer has the bytes),
// and fails the test if it does not within about two seconds.
func waitMetrics(t *testing.T, status int, want map[string]float64) {
	t.Helper()
	var m map[string]float64
	for range 100 {
		var err error
		if m, err = testnet.ParseMetrics(httpGet(t, "http://"+testnet.Addr(v4, status)+"/metrics")); err != nil {
			t.Fatalf("/metrics: %v", err)
		}
		if fmt.Sprint(m) == fmt.Sprint(want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("/metrics = %v\nwant %v", m, want)
}
