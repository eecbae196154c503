//go:build linux

package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// connectPair starts gnc in connect mode with args against a fresh
// 127.0.0.1 listener and returns gnc and the server's side of the
// connection.
func connectPair(t *testing.T, args ...string) (*proc, net.Conn) {
	t.Helper()
	ln, port := listenTCP(t, v4)
	p := gnc(t, append(args, v4, itoa(port))...)
	return p, accept(t, ln)
}

// TestHalfCloseOnStdinEOF: stdin EOF shuts down gnc's sending side only;
// the server sees EOF and can still answer, and gnc prints the answer and
// exits 0 at the server's EOF.
func TestHalfCloseOnStdinEOF(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t)
	p.write("request\n")
	p.closeStdin()
	expectEOF(t, c, "request\n")
	p.requireRunning("gnc keeps reading after its stdin EOF")
	write(t, c, "response after EOF\n")
	p.waitStdout("response after EOF\n")
	c.Close()
	p.expectExit(0)
}

// TestNoShutdown: --no-shutdown keeps the sending side open at stdin EOF.
func TestNoShutdown(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "--no-shutdown")
	p.write("request\n")
	p.closeStdin()
	readUntil(t, c, "request\n")
	expectQuiet(t, c, 300*time.Millisecond)
	write(t, c, "response\n")
	p.waitStdout("response\n")
	c.Close()
	p.expectExit(0)
}

// TestConnectExitsAtSocketEOF: the server's EOF ends a connect session
// (ncat 7.96+) with status 0 and all its data printed, though stdin is open.
func TestConnectExitsAtSocketEOF(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t)
	write(t, c, "bye\n")
	closeWrite(t, c)
	p.expectExit(0)
	if got := p.stdout.String(); got != "bye\n" {
		t.Errorf("stdout = %q", got)
	}
	expectEOF(t, c, "") // gnc closed without sending anything
}

// TestConnectKeepOpen: -k in connect mode stays after the server's EOF and
// keeps sending stdin until stdin EOF, which then ends it.
func TestConnectKeepOpen(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-k")
	write(t, c, "server done\n")
	closeWrite(t, c)
	p.waitStdout("server done\n")
	p.write("more from stdin\n")
	readUntil(t, c, "more from stdin\n")
	p.requireRunning("-k keeps a connect session after the peer's EOF")
	p.closeStdin()
	expectEOF(t, c, "")
	p.expectExit(0)
}

// TestQuitAfterStdinEOF: -q SECS ends gnc that long after stdin EOF even
// though the server neither answers nor closes; -q 0 right away.
func TestQuitAfterStdinEOF(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"0", "1", "300ms"} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			p, c := connectPair(t, "-q", q)
			p.write("last words\n")
			p.closeStdin()
			expectEOF(t, c, "last words\n")
			p.expectExit(0)
		})
	}
	t.Run("reply within -q is printed", func(t *testing.T) {
		t.Parallel()
		p, c := connectPair(t, "-q", "5")
		p.closeStdin()
		expectEOF(t, c, "")
		write(t, c, "late reply\n")
		p.waitStdout("late reply\n")
		c.Close()
		p.expectExit(0)
	})
}

// TestSendOnly: --send-only never prints what the server sends, and quits
// after stdin EOF and the shutdown.
func TestSendOnly(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "--send-only")
	write(t, c, "ignored\n")
	p.write("payload\n")
	p.closeStdin()
	readUntil(t, c, "payload\n")
	// gnc never read "ignored", so its close may come as a reset: only the
	// exit matters here.
	p.expectExit(0)
	if got := p.stdout.String(); got != "" {
		t.Errorf("stdout = %q, want nothing with --send-only", got)
	}
}

// TestRecvOnly: --recv-only sends nothing (stdin is not sent), prints what
// comes and quits at the server's EOF.
func TestRecvOnly(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "--recv-only")
	p.write("never sent\n")
	write(t, c, "incoming\n")
	p.waitStdout("incoming\n")
	closeWrite(t, c)
	p.expectExit(0)
	expectEOF(t, c, "")
}

// TestListenRecvOnly: a listener with --recv-only also never sends.
func TestListenRecvOnly(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "--recv-only", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	p.write("not for the client\n")
	write(t, c, "data\n")
	p.waitStdout("data\n")
	closeWrite(t, c)
	p.expectExit(0)
	expectEOF(t, c, "")
}

// TestListenSendOnly: a listener with --send-only quits at stdin EOF.
func TestListenSendOnly(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "--send-only", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	p.write("pushed\n")
	readUntil(t, c, "pushed\n")
	p.closeStdin()
	p.expectExit(0)
	expectEOF(t, c, "")
}

// TestListenStdinEOF: a single-connection listener half-closes the client
// at stdin EOF and keeps reading it until the client's EOF.
func TestListenStdinEOF(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	p.write("hello\n")
	p.closeStdin()
	expectEOF(t, c, "hello\n")
	write(t, c, "client still talking\n")
	p.waitStdout("client still talking\n")
	p.requireRunning("a listener does not end at stdin EOF")
	closeWrite(t, c)
	p.expectExit(0)
}

// TestPeerReset: a server that resets the connection mid-transfer makes
// gnc exit 1 with a message.
func TestPeerReset(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"while receiving", "while sending"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			p, c := connectPair(t)
			if dir == "while receiving" {
				write(t, c, "partial data\n")
				p.waitStdout("partial data\n")
			} else {
				p.write("some data\n")
				readUntil(t, c, "some data\n")
			}
			tc := c.(*net.TCPConn)
			tc.SetLinger(0)
			tc.Close()
			if dir == "while sending" {
				// Keep stdin flowing until gnc notices the reset.
				for i := 0; i < 200 && p.running(); i++ {
					if _, err := p.stdin.Write([]byte("more data\n")); err != nil {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			p.expectExit(1)
			got := p.stderr.String()
			if got != "gnc: Connection reset by peer.\n" && got != "gnc: Broken pipe.\n" {
				t.Errorf("stderr = %q, want one gnc: line naming the reset", got)
			}
		})
	}
}

// TestListenPeerReset: a single-connection listener whose client resets
// exits 1, like ncat (which prints nothing; a message is fine too).
func TestListenPeerReset(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, c, "x\n")
	p.waitStdout("x\n")
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	p.expectExit(1)
	if got := p.stderr.String(); got != "gnc: Connection reset by peer.\n" && got != "" {
		t.Errorf("stderr = %q", got)
	}
}

// TestKeepOpenSurvivesReset: a -k listener drops a resetting client and
// keeps serving the others.
func TestKeepOpenSurvivesReset(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	a := dial(t, "tcp", testnet.Addr(v4, port))
	b := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, a, "a\n")
	write(t, b, "b\n")
	p.waitStdout("a\n")
	p.waitStdout("b\n")
	a.(*net.TCPConn).SetLinger(0)
	a.Close()
	write(t, b, "b again\n")
	p.waitStdout("b again\n")
	p.write("to b\n")
	readUntil(t, b, "to b\n")
	p.requireRunning("-k survives a client's reset")
	p.signal(syscall.SIGTERM)
	p.wait()
}

// TestListenQuitAfterEOF: -q in listen mode ends the server that long after
// stdin EOF, -k or not, clients connected or not.
func TestListenQuitAfterEOF(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-q", "300ms", "-l"}, {"-q", "0", "-l", "-k"}, {"-q", "1", "-l", "-k"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			p := gnc(t, append(args, v4, itoa(port))...)
			waitListening(t, "tcp", port, "")
			c := dial(t, "tcp", testnet.Addr(v4, port))
			write(t, c, "hi\n")
			p.waitStdout("hi\n")
			p.write("bye\n")
			p.closeStdin()
			readUntil(t, c, "bye\n")
			p.expectExit(0)
		})
	}
}

// TestKeepOpenSendOnly: -l -k --send-only broadcasts stdin, survives a
// client leaving (ncat 7.93 crashes there, #2827) and quits at stdin EOF.
func TestKeepOpenSendOnly(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "--send-only", "-l", "-k", v4, itoa(port))
	p.waitStderr("Listening on")
	a := dial(t, "tcp", testnet.Addr(v4, port))
	b := dial(t, "tcp", testnet.Addr(v4, port))
	p.waitStderrCount("Connection from 127.0.0.1:", 2)
	p.write("one\n")
	readUntil(t, a, "one\n")
	readUntil(t, b, "one\n")
	a.Close()
	p.write("two\n")
	readUntil(t, b, "two\n")
	p.requireRunning("a leaving client does not end --send-only -k")
	p.closeStdin()
	p.expectExit(0)
	if got := p.stdout.String(); got != "" {
		t.Errorf("stdout = %q, want nothing with --send-only", got)
	}
}

// TestKeepOpenOptions: -C and -o apply to every -k client.
func TestKeepOpenOptions(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	log := filepath.Join(t.TempDir(), "log")
	p := gnc(t, "-C", "-o", log, "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	a := dial(t, "tcp", testnet.Addr(v4, port))
	b := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, a, "from a\n")
	p.waitStdout("from a\n")
	write(t, b, "from b\n")
	p.waitStdout("from a\nfrom b\n")
	p.write("x\ny\n")
	readUntil(t, a, "x\r\ny\r\n")
	readUntil(t, b, "x\r\ny\r\n")
	if got := p.stdout.String(); got != "from a\nfrom b\n" {
		t.Errorf("stdout = %q; received data must not be translated", got)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
	if got, want := readFile(t, log), "from a\nfrom b\nx\r\ny\r\n"; got != want {
		t.Errorf("-o log = %q, want %q", got, want)
	}
}
