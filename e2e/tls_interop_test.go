//go:build linux

package e2e

import (
	"strings"
	"testing"

	"gnc/internal/testnet"
)

// TestTLSInteropNcatServer: gnc --ssl against ncat --ssl -l. ncat 7.93
// ends at gnc's close_notify, and its close ends gnc with 0.
func TestTLSInteropNcatServer(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	port := testnet.FreePort(t, "tcp", v4)
	srv := startProc(t, procOpts{}, bin, "--ssl", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	g := gnc(t, "--ssl", v4, itoa(port))
	g.write("from gnc\n")
	srv.waitStdout("from gnc\n")
	srv.write("from ncat\n")
	g.waitStdout("from ncat\n")
	g.closeStdin()
	srv.expectExit(0)
	g.expectExit(0)
	if got := g.stderr.String(); got != "" {
		t.Errorf("gnc stderr = %q", got)
	}
}

// TestTLSInteropNcatClient: ncat --ssl against gnc -l --ssl. gnc's stdin
// EOF does not stop it reading; ncat's EOF ends gnc with 0.
func TestTLSInteropNcatClient(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	port := testnet.FreePort(t, "tcp", v4)
	g := gnc(t, "--ssl", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	cli := startProc(t, procOpts{}, bin, "--ssl", v4, itoa(port))
	cli.write("from ncat\n")
	g.waitStdout("from ncat\n")
	g.write("from gnc\n")
	cli.waitStdout("from gnc\n")
	g.closeStdin()
	cli.write("after gnc's EOF\n")
	g.waitStdout("after gnc's EOF\n")
	g.requireRunning("gnc reads on after its stdin EOF")
	cli.closeStdin()
	g.expectExit(0)
	cli.expectExit(0)
	if got, want := g.stdout.String(), "from ncat\nafter gnc's EOF\n"; got != want {
		t.Errorf("gnc received %q, want %q", got, want)
	}
}

// TestTLSInteropNcatKeepOpen: two ncat --ssl clients of gnc -lk --ssl.
func TestTLSInteropNcatKeepOpen(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "ncat")
	port := testnet.FreePort(t, "tcp", v4)
	g := gnc(t, "-v", "--ssl", "-lk", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	a := startProc(t, procOpts{}, bin, "--ssl", v4, itoa(port))
	b := startProc(t, procOpts{}, bin, "--ssl", v4, itoa(port))
	a.write("from a\n")
	b.write("from b\n")
	g.waitStdout("from a\n")
	g.waitStdout("from b\n")
	g.write("to both\n")
	a.waitStdout("to both\n")
	b.waitStdout("to both\n")
	a.closeStdin()
	b.closeStdin()
	a.expectExit(0)
	b.expectExit(0)
	g.requireRunning("-k outlives its clients")
}

// TestTLSInteropOpenSSLServer: gnc verifies openssl s_server's certificate
// with --ssl-trustfile and --ssl-servername, and presents a client
// certificate that s_server requires.
func TestTLSInteropOpenSSLServer(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "openssl")
	f := newTLSFiles(t)
	port := testnet.FreePort(t, "tcp", v4)
	srv := startProc(t, procOpts{}, bin, "s_server", "-accept", testnet.Addr(v4, port), "-cert", f.srvCert, "-key", f.srvKey,
		"-Verify", "1", "-CAfile", f.caFile, "-verify_return_error", "-naccept", "1", "-quiet")
	waitListening(t, "tcp", port, "")
	g := gnc(t, "-v", "--ssl-trustfile", f.caFile, "--ssl-servername", "srv.test", "--ssl-cert", f.cliCert, "--ssl-key", f.cliKey, v4, itoa(port))
	g.write("from gnc\n")
	srv.waitStdout("from gnc\n")
	srv.write("from openssl\n")
	g.waitStdout("from openssl\n")
	g.closeStdin()
	g.expectExit(0)
	if s := g.stderr.String(); strings.Contains(s, "verification failed") || !strings.Contains(s, "SSL connection to 127.0.0.1:") {
		t.Errorf("gnc stderr:\n%s", s)
	}
}

// TestTLSInteropOpenSSLClient: openssl s_client verifies gnc's
// certificate, offers ALPN that gnc -l answers, and presents a client
// certificate gnc verifies.
func TestTLSInteropOpenSSLClient(t *testing.T) {
	t.Parallel()
	bin := requirePeer(t, "openssl")
	f := newTLSFiles(t)
	port := testnet.FreePort(t, "tcp", v4)
	g := gnc(t, "--ssl-cert", f.srvCert, "--ssl-key", f.srvKey, "--ssl-trustfile", f.caFile, "--ssl-alpn", "h2", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	cli := startProc(t, procOpts{}, bin, "s_client", "-connect", testnet.Addr(v4, port), "-CAfile", f.caFile,
		"-verify_return_error", "-verify_hostname", "srv.test", "-alpn", "h2", "-cert", f.cliCert, "-key", f.cliKey)
	cli.waitStdout("ALPN protocol: h2")
	cli.waitStdout("Verify return code: 0 (ok)")
	cli.write("from openssl\n")
	g.waitStdout("from openssl\n")
	g.write("from gnc\n")
	cli.waitStdout("from gnc\n")
	cli.closeStdin() // s_client sends close_notify: gnc's EOF
	g.expectExit(0)
	cli.expectExit(0)
}
