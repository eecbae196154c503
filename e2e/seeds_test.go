//go:build linux

package e2e

// The scenarios of the tutorials in shared/seeds, as written there, with
// gnc in place of nc and ncat and free loopback ports in place of the
// literal ones.

import (
	"bufio"
	"context"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// TestSeedSequentialClients: seed 000 §2.2, "nc -k -l -p 1234" and two
// clients one after the other; the first ends with Ctrl+C.
func TestSeedSequentialClients(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	srv := gnc(t, "-k", "-l", "-p", itoa(port))
	waitListening(t, "tcp", port, "")

	c1 := gnc(t, v4, itoa(port))
	c1.write("one\n")
	c1.write("two\n")
	srv.waitStdout("one\ntwo\n")
	c1.signal(syscall.SIGINT)
	c1.wait()

	c2 := gnc(t, v4, itoa(port))
	c2.write("three\n")
	c2.write("four\n")
	srv.waitStdout("one\ntwo\nthree\nfour\n")
	srv.write("back to client 2\n")
	c2.waitStdout("back to client 2\n")
	srv.requireRunning("-k keeps listening after a client leaves")
}

// TestSeedConcurrentClients: seed 000 §3.2, "ncat -k -l -p 1234" with two
// clients at once; both reach the server and the server's lines reach both.
func TestSeedConcurrentClients(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	srv := gnc(t, "-k", "-l", "-p", itoa(port))
	waitPort(t, testnet.Addr(v4, port)) // a -k server takes the probe in its stride
	c1 := gnc(t, v4, itoa(port))
	c2 := gnc(t, v4, itoa(port))
	c1.write("one\ntwo\n")
	c2.write("three\nfour\n")
	srv.waitStdout("one\ntwo\n")
	srv.waitStdout("three\nfour\n")
	srv.write("hello both\n")
	c1.waitStdout("hello both\n")
	c2.waitStdout("hello both\n")
	c1.write("five\n")
	srv.waitStdout("five\n")
}

// TestSeedTwoListenersOnePort: seed 000 §3.1 runs two "nc -l -p 1234" on
// one port. Like ncat (no SO_REUSEPORT), the second gnc cannot bind: exit 2.
func TestSeedTwoListenersOnePort(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	first := gnc(t, "-l", "-p", itoa(port))
	waitListening(t, "tcp", port, "")
	second := gnc(t, "-l", "-p", itoa(port))
	second.expectExit(2)
	if got := second.stderr.String(); !strings.Contains(got, "Address already in use. QUITTING.") {
		t.Errorf("second listener: stderr = %q", got)
	}
	c := gnc(t, v4, itoa(port))
	c.write("to the first\n")
	first.waitStdout("to the first\n")
}

// TestSeedBroker: seed 000 §4, "ncat --broker -l -p 1234": what one client
// sends reaches the other clients, and nothing reaches the server's stdout.
func TestSeedBroker(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	// -v only so the test can see the clients join: a message sent before
	// the other client is in the room reaches nobody, as with ncat.
	srv := gnc(t, "-v", "--broker", "-l", "-p", itoa(port))
	if err := waitListeningOrExit(t, srv, port); err != "" {
		t.Fatal(err)
	}
	c1 := gnc(t, v4, itoa(port))
	c2 := gnc(t, v4, itoa(port))
	srv.waitStderrCount("Connection from 127.0.0.1:", 2)
	c2.write("hello from c2\n")
	c1.waitStdout("hello from c2\n")
	c1.write("hello from c1\n")
	c2.waitStdout("hello from c1\n")
	if got := srv.stdout.String(); got != "" {
		t.Errorf("broker stdout = %q, want nothing", got)
	}
}

// waitListeningOrExit waits for gnc to listen on port, or to exit; it
// returns a message when gnc exited or never listened.
func waitListeningOrExit(t *testing.T, p *proc, port int) string {
	t.Helper()
	ctx, cancel := waitCtx(t)
	defer cancel()
	for ctx.Err() == nil {
		if !p.running() {
			return "gnc exited instead of listening:\n" + p.dump()
		}
		short, stop := context.WithTimeout(ctx, 20*time.Millisecond)
		err := testnet.WaitListening(short, "tcp", port, "")
		stop()
		if err == nil {
			return ""
		}
	}
	return "gnc never listened:\n" + p.dump()
}

// TestSeedPayloadWithQuit: seed 001, `nc -l -k -p 500` and
// `echo "POST Test TCP payload." | nc localhost 500 -q 5`, twice: each
// payload arrives, each client exits 0, and each used its own source port.
func TestSeedPayloadWithQuit(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	srv := gnc(t, "-v", "-l", "-k", "-p", itoa(port))
	srv.waitStderrCount("Listening on", 1)
	const payload = "POST Test TCP payload.\n"
	for i := 1; i <= 2; i++ {
		c := gncWith(t, procOpts{stdin: strings.NewReader(payload)}, "localhost", itoa(port), "-q", "5")
		c.expectExit(0)
		srv.waitStdout(strings.Repeat(payload, i))
	}
	s := srv.waitStderrCount("Connection from 127.0.0.1:", 2)
	ports := regexp.MustCompile(`Connection from 127\.0\.0\.1:(\d+)\.`).FindAllStringSubmatch(s, -1)
	if len(ports) != 2 || ports[0][1] == ports[1][1] {
		t.Errorf("want two clients from different source ports; stderr:\n%s", s)
	}
}

// TestSeedThreadedServer: seed 002, a thread-per-client server and several
// "nc localhost 12345" clients at once; each is a distinct (ip, port).
func TestSeedThreadedServer(t *testing.T) {
	t.Parallel()
	ln, port := listenTCP(t, v4)
	type seen struct {
		addr, line string
	}
	got := make(chan seen, 3)
	var clients []*proc
	for i := range 3 {
		c := gnc(t, "localhost", itoa(port))
		c.write("client " + itoa(i) + "\n")
		clients = append(clients, c)
	}
	for range clients {
		conn := accept(t, ln)
		go func() {
			line, _ := bufio.NewReader(conn).ReadString('\n')
			got <- seen{conn.RemoteAddr().String(), line}
		}()
	}
	addrs, lines := map[string]bool{}, map[string]bool{}
	for range clients {
		s := <-got // bounded: accept() and the clients' writes are
		addrs[s.addr], lines[s.line] = true, true
	}
	if len(addrs) != 3 || len(lines) != 3 {
		t.Errorf("connections %v carried %v; want 3 distinct of each", addrs, lines)
	}
	for a := range addrs {
		if host, _, _ := net.SplitHostPort(a); host != v4 {
			t.Errorf("client from %s", a)
		}
	}
}

// TestSeedTCPChat: seed 003, Bob runs "nc -lnv 9000", Alice "nc <bob> 9000";
// each one's lines appear on the other's screen; Alice's Ctrl+D ends both.
func TestSeedTCPChat(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	bob := gnc(t, "-lnv", itoa(port))
	bob.waitStderrCount("Listening on", 1)
	alice := gnc(t, v4, itoa(port))
	alice.write("hi bob\n")
	bob.waitStdout("hi bob\n")
	bob.write("hi alice\n")
	alice.waitStdout("hi alice\n")
	alice.closeStdin()
	bob.expectExit(0)
	alice.expectExit(0)
	s := bob.stderr.String()
	for _, re := range []string{
		`gnc: Listening on 0\.0\.0\.0:` + itoa(port) + `\n`,
		`gnc: Connection from 127\.0\.0\.1\.\n`,
		`gnc: Connection from 127\.0\.0\.1:\d+\.\n`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("bob's log lacks %s:\n%s", re, s)
		}
	}
	if testnet.HasIPv6() && !strings.Contains(s, "gnc: Listening on :::"+itoa(port)+"\n") {
		t.Errorf("bob's log lacks the IPv6 listener:\n%s", s)
	}
}

// TestSeedUDPChat: seed 003, "nc -ulnv 9000" and "nc -u <bob> 9000".
func TestSeedUDPChat(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "udp")
	bob := gnc(t, "-ulnv", itoa(port))
	bob.waitStderrCount("Listening on", 1)
	alice := gnc(t, "-u", v4, itoa(port))
	alice.write("hi bob\n")
	bob.waitStdout("hi bob\n")
	bob.waitStderr("gnc: Connection from 127.0.0.1.\n")
	bob.write("hi alice\n")
	alice.waitStdout("hi alice\n")
	alice.write("bye\n")
	bob.waitStdout("bye\n")
	alice.closeStdin()
	alice.expectExit(0)
	bob.requireRunning("a UDP listener outlives its peer")
}

// TestSeedSimpleServer: seed 003 serv_simple.py: the server prints what
// "nc 127.0.0.1 8000" sends, answers one line and closes; nc prints the
// answer and ends.
func TestSeedSimpleServer(t *testing.T) {
	t.Parallel()
	ln, port := listenTCP(t, v4)
	c := gnc(t, v4, itoa(port))
	c.write("Hello!\n")
	conn := accept(t, ln)
	readUntil(t, conn, "Hello!\n")
	write(t, conn, "hello back\n")
	conn.Close()
	c.expectExit(0)
	if got := c.stdout.String(); got != "hello back\n" {
		t.Errorf("client printed %q", got)
	}
}

// TestSeedSimpleClient: seed 003 conn_simple.py against "nc -l 8000".
func TestSeedSimpleClient(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	srv := gnc(t, "-l", itoa(port))
	waitListening(t, "tcp", port, "")
	conn := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, conn, "Hello!\n")
	srv.waitStdout("Hello!\n")
	srv.write("test\n")
	readUntil(t, conn, "test\n")
	conn.Close()
	srv.expectExit(0)
}

// TestSeedUDPServer: seed 003 activity 2, a UDP server tested with
// "nc -u 127.0.0.1 9000".
func TestSeedUDPServer(t *testing.T) {
	t.Parallel()
	pc := testnet.ListenPacket(t, "udp", testnet.Addr(v4, 0))
	c := gnc(t, "-u", v4, itoa(testnet.Port(pc.LocalAddr())))
	c.write("datagram one\n")
	from := readDatagramUntil(t, pc, "datagram one\n")
	pc.WriteTo([]byte("echo: datagram one\n"), from)
	c.waitStdout("echo: datagram one\n")
	c.closeStdin()
	c.expectExit(0)
}

// TestSeedTwoUserChatDefaultPort: seed 004, "ncat -l" and "ncat host1",
// both on the default port 31337. Not parallel: it owns port 31337.
func TestSeedTwoUserChatDefaultPort(t *testing.T) {
	if !testnet.PortFree("tcp", 31337) {
		t.Skip("port 31337 is in use; cannot test the default port")
	}
	host1 := gnc(t, "-l")
	waitListening(t, "tcp", 31337, "")
	host2 := gnc(t, "localhost")
	host2.write("hello from host2\n")
	host1.waitStdout("hello from host2\n")
	host1.write("hello from host1\n")
	host2.waitStdout("hello from host1\n")
	host2.closeStdin()
	host1.expectExit(0)
	host2.expectExit(0)
}

// TestSeedChat: seed 004, "ncat -l --chat" with two users.
func TestSeedChat(t *testing.T) {
	t.Parallel()
	port := testnet.FreePortDual(t, "tcp")
	srv := gnc(t, "-l", "--chat", itoa(port))
	if err := waitListeningOrExit(t, srv, port); err != "" {
		t.Fatal(err)
	}
	u1 := gnc(t, v4, itoa(port))
	u1.waitStdout("already connected: nobody.\n")
	u2 := gnc(t, v4, itoa(port))
	u2.waitStdout("already connected:")
	u2.write("Is anyone there?\n")
	u1.waitStdout("> Is anyone there?\n")
	srv.write("Go away, all of you.\n")
	u1.waitStdout("<user0> Go away, all of you.\n")
	u2.waitStdout("<user0> Go away, all of you.\n")
}
