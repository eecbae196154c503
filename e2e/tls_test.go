//go:build linux

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// tlsDial connects a Go TLS client (no verification unless cfg says) and
// finishes the handshake within waitTimeout.
func tlsDial(t testing.TB, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	c, err := tlsDialErr(addr, cfg)
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func tlsDialErr(addr string, cfg *tls.Config) (*tls.Conn, error) {
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	d := &net.Dialer{Timeout: waitTimeout}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// tlsFiles is a test CA and the files of certificates it issued.
type tlsFiles struct {
	ca                 *testnet.CA
	caFile             string
	srvCert, srvKey    string // DNS srv.test, IP 127.0.0.1
	cliCert, cliKey    string // client authentication
	expCert, expKey    string // expired server certificate
	otherCA            string // a CA that signed nothing here
	pool               *x509.CertPool
	clientCertificates []tls.Certificate
}

func newTLSFiles(t *testing.T) *tlsFiles {
	t.Helper()
	ca := testnet.NewCA(t, "gnc e2e CA")
	f := &tlsFiles{ca: ca, caFile: testnet.WriteFile(t, "ca.pem", ca.PEM), pool: x509.NewCertPool()}
	f.pool.AddCert(ca.Cert)
	c, k := ca.Issue(t, testnet.Leaf{CN: "srv.test", DNS: []string{"srv.test"}, IPs: []net.IP{net.ParseIP(v4)}})
	f.srvCert, f.srvKey = testnet.WriteFile(t, "srv.pem", c), testnet.WriteFile(t, "srv.key", k)
	c, k = ca.Issue(t, testnet.Leaf{CN: "client", Client: true})
	f.cliCert, f.cliKey = testnet.WriteFile(t, "cli.pem", c), testnet.WriteFile(t, "cli.key", k)
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	f.clientCertificates = []tls.Certificate{pair}
	c, k = ca.Issue(t, testnet.Leaf{CN: "old", DNS: []string{"srv.test"}, IPs: []net.IP{net.ParseIP(v4)},
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	f.expCert, f.expKey = testnet.WriteFile(t, "exp.pem", c), testnet.WriteFile(t, "exp.key", k)
	f.otherCA = testnet.WriteFile(t, "other.pem", testnet.NewCA(t, "other CA").PEM)
	return f
}

// TestTLSListenSingle: a TLS client of gnc -l --ssl: data both ways;
// gnc's stdin EOF sends close_notify (the client reads EOF) while gnc
// goes on reading; the client's close_notify ends gnc with 0.
func TestTLSListenSingle(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "--ssl", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	stderr := p.waitStderr("SHA-256 fingerprint: ")
	c := tlsDial(t, testnet.Addr(v4, port), nil)
	leaf := c.ConnectionState().PeerCertificates[0]
	if leaf.Subject.CommonName != v4 || len(leaf.IPAddresses) != 1 || leaf.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("throwaway certificate: CN %q, IPs %v, %v", leaf.Subject.CommonName, leaf.IPAddresses, leaf.SignatureAlgorithm)
	}
	hasLines(t, stderr, `^gnc: Generating a temporary ECDSA P-256 key\. Use --ssl-key and --ssl-cert to use a permanent one\.$`,
		`^gnc: SHA-256 fingerprint: [0-9A-F]{4}( [0-9A-F]{4}){15}$`)
	write(t, c, "from client\n")
	p.waitStdout("from client\n")
	p.write("from gnc\n")
	readUntil(t, c, "from gnc\n")
	p.closeStdin()
	expectEOF(t, c, "")
	write(t, c, "after gnc's EOF\n")
	p.waitStdout("after gnc's EOF\n")
	p.requireRunning("gnc reads on after its stdin EOF")
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	p.expectExit(0)
	if got := p.stdout.String(); got != "from client\nafter gnc's EOF\n" {
		t.Errorf("stdout = %q", got)
	}
}

// TestTLSGncToGnc: gnc --ssl connects to gnc -l --ssl; the client says
// why the throwaway certificate would not verify and carries on.
func TestTLSGncToGnc(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	srv := gnc(t, "--ssl", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	cli := gnc(t, "-v", "--ssl", v4, itoa(port))
	cli.write("from client\n")
	srv.waitStdout("from client\n")
	srv.write("from server\n")
	cli.waitStdout("from server\n")
	cli.closeStdin()
	srv.expectExit(0)
	cli.expectExit(0)
	hasLines(t, cli.stderr.String(),
		`^gnc: Subject: CN=127\.0\.0\.1$`,
		`^gnc: Issuer: CN=127\.0\.0\.1$`,
		`^gnc: SHA-1 fingerprint: [0-9A-F]{4}( [0-9A-F]{4}){9}$`,
		`^gnc: Certificate verification failed \(self-signed certificate\)\.$`,
		`^gnc: SSL connection to 127\.0\.0\.1:\d+\.$`)
}

// TestTLSKeepOpen: gnc -lk --ssl serves several TLS clients; a client
// that connects and says nothing, one that sends garbage instead of a
// ClientHello, and one that stops mid-record hold up nobody, are dropped
// with a -v line, and the listener goes on.
func TestTLSKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "-w", "2", "--ssl", "-lk", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	addr := testnet.Addr(v4, port)

	staller := dial(t, "tcp", addr) // never sends a ClientHello
	garbage := dial(t, "tcp", addr)
	write(t, garbage, "GET / HTTP/1.0\r\n\r\n")
	a := tlsDial(t, addr, nil)
	b := tlsDial(t, addr, nil)
	write(t, a, "from a\n")
	p.waitStdout("from a\n")
	p.write("to all\n")
	readUntil(t, a, "to all\n")
	readUntil(t, b, "to all\n")
	p.waitStderr("Failed SSL connection from 127.0.0.1: ")
	readAllRaw(t, garbage)

	// The staller is dropped at the -w bound.
	staller.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := io.ReadAll(staller); err != nil {
		t.Fatalf("staller: %v", err)
	}
	p.waitStderr("TLS handshake timed out")

	// A truncated record: a TLS client whose connection ends mid-record.
	trunc := tlsDial(t, addr, nil)
	write(t, trunc, "whole\n")
	p.waitStdout("whole\n")
	raw := trunc.NetConn()
	if _, err := raw.Write([]byte{0x17, 0x03, 0x03, 0x01, 0x00, 0xde, 0xad}); err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).CloseWrite()
	raw.SetReadDeadline(time.Now().Add(waitTimeout))
	io.Copy(io.Discard, raw) // gnc drops it

	write(t, b, "from b\n")
	p.waitStdout("from b\n")
	p.requireRunning("the listener outlives bad clients")
	if strings.Contains(p.stdout.String(), "GET") || strings.Contains(p.stdout.String(), "\xde\xad") {
		t.Errorf("bad clients' bytes reached stdout: %q", p.stdout.String())
	}
}

// hasLines checks that each pattern matches a whole line of text.
func hasLines(t testing.TB, text string, patterns ...string) {
	t.Helper()
	for _, pat := range patterns {
		if !regexp.MustCompile(`(?m)^(?:` + strings.TrimSuffix(strings.TrimPrefix(pat, "^"), "$") + `)$`).MatchString(text) {
			t.Errorf("no line matches %s in:\n%s", pat, text)
		}
	}
}

// readAllRaw reads c to EOF or reset, for a client gnc drops.
func readAllRaw(t testing.TB, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading dropped client: %v", err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("gnc did not drop the client")
	}
}

// TestTLSBroker: --broker and --chat over TLS relay between TLS members.
func TestTLSBroker(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"--broker", "--chat"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			p := gnc(t, "-v", "--ssl", mode, v4, itoa(port))
			waitListening(t, "tcp", port, "")
			addr := testnet.Addr(v4, port)
			a := tlsDial(t, addr, nil)
			p.waitStderrCount("Connection from 127.0.0.1:", 1)
			b := tlsDial(t, addr, nil)
			p.waitStderrCount("Connection from 127.0.0.1:", 2)
			staller := dial(t, "tcp", addr) // a handshake that never starts blocks nobody
			defer staller.Close()
			write(t, a, "hello b\n")
			readUntil(t, b, "hello b\n")
			write(t, b, "hello a\n")
			readUntil(t, a, "hello a\n")
			p.write("from stdin\n")
			readUntil(t, a, "from stdin\n")
			readUntil(t, b, "from stdin\n")
		})
	}
}

// TestTLSVerify: --ssl-verify and --ssl-trustfile pass and fail for the
// right reasons, with ncat's messages and exit codes: a chain failure is
// "Input/output error." (1), a name mismatch "Certificate verification
// error. QUITTING." (2).
func TestTLSVerify(t *testing.T) {
	t.Parallel()
	f := newTLSFiles(t)
	for _, tc := range []struct {
		name       string
		srv        []string // certificate options of the listener
		cli        []string // the client's TLS options
		host       string
		exit       int
		stderr     string // a line of the client's stderr
		notVerbose string // the whole stderr without -v, for failures
	}{
		{name: "trusted IP SAN", srv: []string{"--ssl-cert", f.srvCert, "--ssl-key", f.srvKey}, cli: []string{"--ssl-trustfile", f.caFile}, host: v4},
		{name: "trusted servername", srv: []string{"--ssl-cert", f.srvCert, "--ssl-key", f.srvKey}, cli: []string{"--ssl-trustfile", f.caFile, "--ssl-servername", "srv.test"}, host: v4},
		{name: "wrong name", srv: []string{"--ssl-cert", f.srvCert, "--ssl-key", f.srvKey}, cli: []string{"--ssl-verify", "--ssl-trustfile", f.caFile, "--ssl-servername", "other.test"}, host: v4,
			exit: 2, stderr: "gnc: Certificate verification failed (hostname mismatch", notVerbose: "gnc: Certificate verification error. QUITTING.\n"},
		{name: "untrusted", srv: []string{"--ssl-cert", f.srvCert, "--ssl-key", f.srvKey}, cli: []string{"--ssl-trustfile", f.otherCA}, host: v4,
			exit: 1, stderr: "gnc: Certificate verification failed (unable to get local issuer certificate).", notVerbose: "gnc: Input/output error.\n"},
		{name: "self-signed throwaway", cli: []string{"--ssl-trustfile", f.caFile}, host: v4,
			exit: 1, stderr: "gnc: Certificate verification failed (self-signed certificate).", notVerbose: "gnc: Input/output error.\n"},
		{name: "expired", srv: []string{"--ssl-cert", f.expCert, "--ssl-key", f.expKey}, cli: []string{"--ssl-trustfile", f.caFile}, host: v4,
			exit: 1, stderr: "gnc: Certificate verification failed (certificate has expired).", notVerbose: "gnc: Input/output error.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, verbose := range []bool{true, false} {
				port := testnet.FreePort(t, "tcp", v4)
				srv := gnc(t, append([]string{"--ssl", "-l", v4, itoa(port)}, tc.srv...)...)
				waitListening(t, "tcp", port, "")
				args := append([]string{}, tc.cli...)
				if verbose {
					args = append(args, "-v")
				}
				cli := gnc(t, append(args, tc.host, itoa(port))...)
				if tc.exit == 0 {
					cli.write("verified\n")
					srv.waitStdout("verified\n")
					cli.closeStdin()
					srv.expectExit(0)
				}
				cli.expectExit(tc.exit)
				switch {
				case tc.exit == 0:
				case verbose && !strings.Contains(cli.stderr.String(), tc.stderr):
					t.Errorf("stderr %q lacks %q", cli.stderr.String(), tc.stderr)
				case !verbose && cli.stderr.String() != tc.notVerbose:
					t.Errorf("stderr = %q, want %q", cli.stderr.String(), tc.notVerbose)
				}
				if strings.Contains(srv.stdout.String(), "verified") && tc.exit != 0 {
					t.Error("data crossed a failed verification")
				}
			}
		})
	}
}

// TestTLSClientCertificates: a listener with --ssl-verify and a trust
// file requires a client certificate that chains to it.
func TestTLSClientCertificates(t *testing.T) {
	t.Parallel()
	f := newTLSFiles(t)
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "-lk", "--ssl-cert", f.srvCert, "--ssl-key", f.srvKey, "--ssl-trustfile", f.caFile, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	addr := testnet.Addr(v4, port)

	// No certificate: refused (TLS 1.3 reports it on the first read).
	if c, err := tlsDialErr(addr, &tls.Config{RootCAs: f.pool, ServerName: "srv.test"}); err == nil {
		c.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("a client without a certificate was served: %v", err)
		}
		c.Close()
	}
	p.waitStderr("Failed SSL connection from 127.0.0.1: ")

	// gnc as the client, with its certificate.
	cli := gnc(t, "--ssl-cert", f.cliCert, "--ssl-key", f.cliKey, "--ssl-trustfile", f.caFile, v4, itoa(port))
	cli.write("with a certificate\n")
	p.waitStdout("with a certificate\n")
	cli.closeStdin()
	p.requireRunning("-k goes on")
}

// TestTLSOptionsOnTheWire: ALPN both ways, versions and ciphers as a Go
// client sees them.
func TestTLSOptionsOnTheWire(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	gnc(t, "--ssl", "-lk", "--ssl-alpn", "x-gnc,h2", "--ssl-max-version", "1.2", "--ssl-ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := tlsDial(t, testnet.Addr(v4, port), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	cs := c.ConnectionState()
	if cs.NegotiatedProtocol != "h2" || cs.Version != tls.VersionTLS12 || cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
		t.Errorf("got ALPN %q, version %x, suite %s", cs.NegotiatedProtocol, cs.Version, tls.CipherSuiteName(cs.CipherSuite))
	}
	if _, err := tlsDialErr(testnet.Addr(v4, port), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}); err == nil {
		t.Error("a TLS 1.3-only client met --ssl-max-version 1.2")
	}
}

// TestTLSConnectErrors: a bad certificate file is fatal before dialing
// (2); a server that does not speak TLS is "Input/output error." (1).
func TestTLSConnectErrors(t *testing.T) {
	t.Parallel()
	p := gnc(t, "--ssl-cert", "/nonexistent/c.pem", "--ssl-key", "/nonexistent/k.pem", v4, "1")
	p.expectExit(2)
	hasLines(t, p.stderr.String(), `^gnc: load certificate /nonexistent/c\.pem and key /nonexistent/k\.pem: open /nonexistent/c\.pem: no such file or directory\. QUITTING\.$`)

	ln, port := listenTCP(t, v4)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.WriteString(c, "SSH-2.0-not-tls\r\n")
			c.Close()
		}
	}()
	p = gnc(t, "-v", "--ssl", v4, itoa(port))
	p.closeStdin()
	p.expectExit(1)
	hasLines(t, p.stderr.String(), `^gnc: TLS handshake with 127\.0\.0\.1:\d+ failed: .*`, `^gnc: Input/output error\.$`)
}

// TestTLSSingleSurvivesBadClient: in single-connection mode a client
// whose handshake fails is dropped and the listener waits for the next
// (ncat ends there); that one is the session.
func TestTLSSingleSurvivesBadClient(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-v", "--ssl", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	addr := testnet.Addr(v4, port)
	bad := dial(t, "tcp", addr)
	write(t, bad, "hello?\r\n\r\n")
	readAllRaw(t, bad)
	p.waitStderr("Failed SSL connection from 127.0.0.1: ")
	c := tlsDial(t, addr, nil)
	write(t, c, "good\n")
	p.waitStdout("good\n")
	c.CloseWrite()
	p.expectExit(0)
	if got := p.stdout.String(); got != "good\n" {
		t.Errorf("stdout = %q", got)
	}
}

// TestTLSWithOptionsThatSeeBytes: -o and -C take the user-space path
// (pump) over TLS.
func TestTLSWithOptionsThatSeeBytes(t *testing.T) {
	t.Parallel()
	log := t.TempDir() + "/session.log"
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "--ssl", "-C", "-o", log, "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := tlsDial(t, testnet.Addr(v4, port), nil)
	write(t, c, "from client\n")
	p.waitStdout("from client\n")
	p.write("line\n")
	readUntil(t, c, "line\r\n")
	c.CloseWrite()
	p.expectExit(0)
	b, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(b), "from client\n") || !strings.Contains(string(b), "line\r\n") {
		t.Errorf("-o log %q, %v", b, err)
	}
}

// TestTLSConnectHandshakeTimeout: a server that accepts and never answers
// the ClientHello ends gnc --ssl at the -w bound with exit 1.
func TestTLSConnectHandshakeTimeout(t *testing.T) {
	t.Parallel()
	ln, port := listenTCP(t, v4)
	p := gnc(t, "-v", "-w", "500ms", "--ssl", v4, itoa(port))
	silent := accept(t, ln) // reads nothing, says nothing
	defer silent.Close()
	p.expectExit(1)
	hasLines(t, p.stderr.String(), `gnc: TLS handshake with 127\.0\.0\.1:\d+ failed: TLS handshake timed out after 500ms`, `gnc: Input/output error\.`)
}
