//go:build linux

package e2e

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/dtls/v3"

	"gnc/internal/testnet"
)

// dtlsDial connects a Go DTLS client to addr and finishes its handshake.
func dtlsDial(t *testing.T, addr string) *dtls.Conn {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dtls.DialWithOptions("udp", raddr, dtls.WithInsecureSkipVerify(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		t.Fatalf("DTLS handshake with %s: %v", addr, err)
	}
	return c
}

func readDTLS(t *testing.T, c *dtls.Conn, want string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != want {
		t.Fatalf("DTLS read %q, %v; want %q", buf[:n], err, want)
	}
}

// TestDTLSGncToGnc: gnc --ssl -u against gnc --ssl -u -l; each stdin read
// is one datagram; the client quits at stdin EOF and its close_notify is
// the listener's end of session, as a TCP client's EOF is (plain UDP has
// no end).
func TestDTLSGncToGnc(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	srv := gnc(t, "-v", "--ssl", "-u", "-l", v4, itoa(port))
	srv.waitStderr("Listening on")
	cli := gnc(t, "-v", "--ssl", "-u", v4, itoa(port))
	cli.write("from client\n")
	srv.waitStdout("from client\n")
	srv.write("from server\n")
	cli.waitStdout("from server\n")
	cli.closeStdin()
	cli.expectExit(0)
	srv.expectExit(0)
	hasLines(t, cli.stderr.String(), `gnc: SSL connection to 127\.0\.0\.1:\d+\.`, `gnc: Certificate verification failed \(self-signed certificate\)\.`)
}

// TestDTLSKeepOpen: -u -l -k --ssl serves several DTLS peers at once;
// stdin goes to every peer, every peer's datagrams to stdout, and a peer
// that sends no handshake blocks nobody.
func TestDTLSKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	p := gnc(t, "-v", "--ssl", "-u", "-l", "-k", v4, itoa(port))
	p.waitStderr("Listening on")
	addr := testnet.Addr(v4, port)
	junk := dial(t, "udp", addr)
	write(t, junk, "not a handshake")
	stall := dial(t, "udp", addr)
	write(t, stall, "\x16\xfe\xfd") // a handshake record that never completes
	a := dtlsDial(t, addr)
	b := dtlsDial(t, addr)
	if _, err := a.Write([]byte("from a\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("from b\n")); err != nil {
		t.Fatal(err)
	}
	p.waitStdout("from a\n")
	p.waitStdout("from b\n")
	p.write("to all\n")
	readDTLS(t, a, "to all\n")
	readDTLS(t, b, "to all\n")
}

// TestDTLSInteropNcatClient: ncat --ssl -u (ncat's DTLS client) against
// gnc's DTLS listener.
func TestDTLSInteropNcatClient(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	port := testnet.FreePort(t, "udp", v4)
	g := gnc(t, "-v", "--ssl", "-u", "-l", v4, itoa(port))
	g.waitStderr("Listening on")
	cli := startProc(t, procOpts{}, bin, "--ssl", "-u", v4, itoa(port))
	cli.write("from ncat\n")
	g.waitStdout("from ncat\n")
	g.write("from gnc\n")
	cli.waitStdout("from gnc\n")
	cli.closeStdin()
	cli.expectExit(0)
}

// TestDTLSBurstAfterHandshake: datagrams a client sends right after its
// handshake, before the listener may have finished its side, all arrive.
func TestDTLSBurstAfterHandshake(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "udp", v4)
	p := gnc(t, "-v", "--ssl", "-u", "-l", v4, itoa(port))
	p.waitStderr("Listening on")
	c := dtlsDial(t, testnet.Addr(v4, port))
	for _, s := range []string{"one\n", "two\n", "three\n"} {
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	p.waitStdout("one\ntwo\nthree\n")
}
