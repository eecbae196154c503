//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// fakeProxy accepts one connection on a loopback port and hands it to
// serve, which returns an error for the test to report. The listener and
// the connection are closed, and serve waited for, when the test ends.
func fakeProxy(t *testing.T, serve func(c net.Conn, br *bufio.Reader) error) string {
	t.Helper()
	ln, _ := listenTCP(t, v4)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(testTimeout))
			br := bufio.NewReader(c)
			if _, err := br.Peek(1); err != nil {
				// A probe that sent nothing (a port scan elsewhere on this
				// machine): not gnc.
				c.Close()
				continue
			}
			err = serve(c, br)
			c.Close()
			if err != nil {
				t.Errorf("fake proxy: %v", err)
			}
			return
		}
	})
	return ln.Addr().String()
}

// expectBytes reads exactly len(want) bytes and compares them.
func expectBytes(r io.Reader, want string) error {
	got := make([]byte, len(want))
	if n, err := io.ReadFull(r, got); err != nil {
		return fmt.Errorf("read %q, then %v; want %q", got[:n], err, want)
	}
	if string(got) != want {
		return fmt.Errorf("request %q; want %q", got, want)
	}
	return nil
}

// exchange answers one request with reply, then echoes in upper case
// until EOF, so a test can tell the tunnel's bytes from its own.
func exchange(req, reply string) func(net.Conn, *bufio.Reader) error {
	return func(c net.Conn, br *bufio.Reader) error {
		if err := expectBytes(br, req); err != nil {
			return err
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return err
		}
		buf := make([]byte, 4096)
		for {
			n, err := br.Read(buf)
			if n > 0 {
				if _, err := c.Write(bytes.ToUpper(buf[:n])); err != nil {
					return nil
				}
			}
			if err != nil {
				return nil
			}
		}
	}
}

// socks5 is a SOCKS5 exchange: greeting, optional RFC 1929 step, request.
func socks5(greeting, method, auth, authReply, req, reply string) func(net.Conn, *bufio.Reader) error {
	return func(c net.Conn, br *bufio.Reader) error {
		if err := expectBytes(br, greeting); err != nil {
			return err
		}
		io.WriteString(c, method)
		if auth != "" {
			if err := expectBytes(br, auth); err != nil {
				return err
			}
			io.WriteString(c, authReply)
		}
		return exchange(req, reply)(c, br)
	}
}

// TestProxyClientProtocols runs gnc through fake proxies that check the
// exact request bytes; bytes the proxy sends right after its reply reach
// stdout first.
func TestProxyClientProtocols(t *testing.T) {
	t.Parallel()
	ok4 := "\x00\x5a\x00\x00\x00\x00\x00\x00"
	ok5 := "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00"
	tests := []struct {
		name  string
		args  []string
		env   []string
		serve func(net.Conn, *bufio.Reader) error
		early string
		vline string // a -v line expected on stderr
	}{
		{name: "http", args: []string{"--proxy-type", "http", "target.invalid", "80"},
			serve: exchange("CONNECT target.invalid:80 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n"),
			vline: "gnc: Host target.invalid will be resolved by the proxy.\n"},
		{name: "http early bytes", args: []string{"::1", "22"},
			serve: exchange("CONNECT [::1]:22 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-fake\r\n"),
			early: "SSH-2.0-fake\r\n", vline: "gnc: Connected to ::1:22 through the http proxy.\n"},
		{name: "socks4", args: []string{"--proxy-type", "socks4", "127.0.0.1", "80"},
			serve: exchange("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", ok4)},
		{name: "socks4a", args: []string{"--proxy-type", "socks4", "--proxy-auth", "alice", "target.invalid", "80"},
			serve: exchange("\x04\x01\x00\x50\x00\x00\x00\x01alice\x00target.invalid\x00", ok4+"early"), early: "early"},
		{name: "socks4 local dns", args: []string{"--proxy-type", "socks4", "--proxy-dns", "local", "localhost", "80"},
			serve: exchange("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", ok4), vline: "gnc: Host localhost locally resolved to 127.0.0.1.\n"},
		{name: "socks5 no auth", args: []string{"--proxy-type", "socks5", "target.invalid", "443"},
			serve: socks5("\x05\x01\x00", "\x05\x00", "", "", "\x05\x01\x00\x03\x0etarget.invalid\x01\xbb", ok5),
			vline: "gnc: No authentication needed.\n"},
		{name: "socks5 user pass", args: []string{"--proxy-type", "socks5", "--proxy-auth", "user:secret", "127.0.0.1", "443"},
			serve: socks5("\x05\x02\x00\x02", "\x05\x02", "\x01\x04user\x06secret", "\x01\x00", "\x05\x01\x00\x01\x7f\x00\x00\x01\x01\xbb", ok5+"early"),
			early: "early", vline: "gnc: Doing username and password authentication.\n"},
		{name: "socks5 NCAT_PROXY_AUTH", args: []string{"--proxy-type", "socks5", "127.0.0.1", "443"}, env: []string{"NCAT_PROXY_AUTH=env:pw"},
			serve: socks5("\x05\x02\x00\x02", "\x05\x02", "\x01\x03env\x02pw", "\x01\x00", "\x05\x01\x00\x01\x7f\x00\x00\x01\x01\xbb", ok5)},
		{name: "option beats NCAT_PROXY_AUTH", args: []string{"--proxy-type", "socks5", "--proxy-auth", "opt:pw", "127.0.0.1", "443"}, env: []string{"NCAT_PROXY_AUTH=env:pw"},
			serve: socks5("\x05\x02\x00\x02", "\x05\x02", "\x01\x03opt\x02pw", "\x01\x00", "\x05\x01\x00\x01\x7f\x00\x00\x01\x01\xbb", ok5)},
		{name: "dns none with literal", args: []string{"--proxy-type", "socks5", "--proxy-dns", "none", "::1", "7"},
			serve: socks5("\x05\x01\x00", "\x05\x00", "", "", "\x05\x01\x00\x04"+strings.Repeat("\x00", 15)+"\x01\x00\x07", ok5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeProxy(t, tt.serve)
			args := append([]string{"-v", "--proxy", addr}, tt.args...)
			p := gncWith(t, procOpts{env: tt.env}, args...)
			p.write("ping\n")
			p.waitStdout(tt.early + "PING\n")
			p.closeStdin()
			p.expectExit(0)
			if got := p.stdout.String(); got != tt.early+"PING\n" {
				t.Errorf("stdout = %q; want %q", got, tt.early+"PING\n")
			}
			errs := p.stderr.String()
			for _, want := range []string{"gnc: Connected to proxy " + addr + "\n", tt.vline} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
		})
	}
}

// TestProxyClientFailures: every proxy failure is one clear line and exit
// 1 (a proxy name that does not resolve: exit 2, as ncat), with no hang.
func TestProxyClientFailures(t *testing.T) {
	t.Parallel()
	hold := func(c net.Conn, br *bufio.Reader) error { io.Copy(io.Discard, br); return nil }
	say := func(s string) func(net.Conn, *bufio.Reader) error {
		return func(c net.Conn, br *bufio.Reader) error {
			io.WriteString(c, s)
			io.Copy(io.Discard, br)
			return nil
		}
	}
	closeAfter := func(s string) func(net.Conn, *bufio.Reader) error {
		return func(c net.Conn, br *bufio.Reader) error {
			io.WriteString(c, s)
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, br)
			return nil
		}
	}
	reset := func(c net.Conn, br *bufio.Reader) error {
		br.ReadString('\n')
		c.(*net.TCPConn).SetLinger(0)
		return nil
	}
	tests := []struct {
		name  string
		args  []string
		serve func(net.Conn, *bufio.Reader) error
		code  int
		msg   string
	}{
		{name: "http 403", args: []string{"h.invalid", "1"}, serve: say("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
			code: 1, msg: "gnc: Proxy returned status code 403 (HTTP/1.1 403 Forbidden).\n"},
		{name: "http garbage", args: []string{"h.invalid", "1"}, serve: say("220 smtp.example ESMTP\r\n\r\n"),
			code: 1, msg: "gnc: Error: malformed HTTP reply from proxy.\n"},
		{name: "http short", args: []string{"h.invalid", "1"}, serve: closeAfter("HTTP/1.0 200 OK\r\n"),
			code: 1, msg: "gnc: Error: short response from proxy: the connection closed in the HTTP reply.\n"},
		{name: "http reset", args: []string{"h.invalid", "1"}, serve: reset,
			code: 1, msg: "gnc: Error reading proxy HTTP reply: Connection reset by peer.\n"},
		{name: "http silent, -w", args: []string{"-w", "1", "h.invalid", "1"}, serve: hold,
			code: 1, msg: "gnc: Error: no complete HTTP reply from proxy: TIMEOUT.\n"},
		{name: "http slow headers, -w", args: []string{"-w", "1", "h.invalid", "1"}, serve: say("HTTP/1.0 200 OK\r\nVia: x\r\n"),
			code: 1, msg: "gnc: Error: no complete HTTP reply from proxy: TIMEOUT.\n"},
		{name: "http 407 without credentials", args: []string{"h.invalid", "1"},
			serve: say("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n"),
			code:  1, msg: "gnc: Proxy returned status code 407 (HTTP/1.0 407 Proxy Authentication Required); the proxy wants credentials: use --proxy-auth.\n"},
		{name: "socks4 rejected", args: []string{"--proxy-type", "socks4", "127.0.0.1", "1"}, serve: say("\x00\x5b\x00\x00\x00\x00\x00\x00"),
			code: 1, msg: "gnc: Proxy connection failed: SOCKS4 reply 91, request rejected or failed.\n"},
		{name: "socks4 short", args: []string{"--proxy-type", "socks4", "127.0.0.1", "1"}, serve: closeAfter("\x00\x5a"),
			code: 1, msg: "gnc: Error: short response from proxy: the connection closed in the SOCKS4 reply.\n"},
		{name: "socks4 ipv6", args: []string{"--proxy-type", "socks4", "::1", "1"}, serve: hold,
			code: 1, msg: "gnc: Error: IPv6 addresses are not supported with Socks4.\n"},
		{name: "socks5 host unreachable", args: []string{"--proxy-type", "socks5", "127.0.0.1", "1"},
			serve: say("\x05\x00\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00"),
			code:  1, msg: "gnc: Proxy connection failed: SOCKS5 reply 4, host unreachable.\n"},
		{name: "socks5 wants auth", args: []string{"--proxy-type", "socks5", "127.0.0.1", "1"}, serve: say("\x05\xff"),
			code: 1, msg: "gnc: Error: no acceptable authentication method proposed (the SOCKS5 proxy wants credentials: use --proxy-auth).\n"},
		{name: "socks5 bad password", args: []string{"--proxy-type", "socks5", "--proxy-auth", "u:p", "127.0.0.1", "1"}, serve: say("\x05\x02\x01\x01"),
			code: 1, msg: "gnc: Error: authentication failed (the SOCKS5 proxy refused the user name or password).\n"},
		{name: "socks5 not socks", args: []string{"--proxy-type", "socks5", "127.0.0.1", "1"}, serve: say("HTTP/1.0 400 Bad Request\r\n\r\n"),
			code: 1, msg: "gnc: Error: wrong SOCKS version in connect response.\n"},
		{name: "socks5 slow, -w", args: []string{"-w", "500ms", "--proxy-type", "socks5", "127.0.0.1", "1"}, serve: say("\x05\x00\x05\x00\x00"),
			code: 1, msg: "gnc: Error: no complete SOCKS5 reply from proxy: TIMEOUT.\n"},
		{name: "dns none", args: []string{"--proxy-dns", "none", "h.invalid", "1"}, serve: hold,
			code: 1, msg: "gnc: Error: h.invalid is not an IP address and --proxy-dns none resolves no names.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeProxy(t, tt.serve)
			p := gnc(t, append([]string{"--proxy", addr}, tt.args...)...)
			p.expectExit(tt.code)
			if got := p.stderr.String(); got != tt.msg {
				t.Errorf("stderr = %q; want %q", got, tt.msg)
			}
			if got := p.stdout.String(); got != "" {
				t.Errorf("stdout = %q", got)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "tcp", v4)
		p := gnc(t, "--proxy", v4+":"+itoa(port), "h.invalid", "1")
		p.expectExit(1)
		if got := p.stderr.String(); got != "gnc: Proxy connection failed: Connection refused.\n" {
			t.Errorf("stderr = %q", got)
		}
	})
	t.Run("unresolvable proxy", func(t *testing.T) {
		t.Parallel()
		p := gnc(t, "-n", "--proxy", "proxy.invalid", "h.invalid", "1")
		p.expectExit(2)
		if got := p.stderr.String(); got != "gnc: Could not resolve proxy \"proxy.invalid\": Name or service not known. QUITTING.\n" {
			t.Errorf("stderr = %q", got)
		}
	})
}

// TestProxyClientSource checks that -s and -p bind the connection to the
// proxy.
func TestProxyClientSource(t *testing.T) {
	t.Parallel()
	src := testnet.FreePort(t, "tcp", v4)
	seen := make(chan string, 1)
	addr := fakeProxy(t, func(c net.Conn, br *bufio.Reader) error {
		seen <- c.RemoteAddr().String()
		return exchange("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n")(c, br)
	})
	p := gnc(t, "-s", v4, "-p", itoa(src), "--proxy", addr, "h.invalid", "1")
	p.write("x")
	p.waitStdout("X")
	p.closeStdin()
	p.expectExit(0)
	if got, want := <-seen, v4+":"+itoa(src); got != want {
		t.Errorf("proxy saw a client at %s; want %s", got, want)
	}
}

// TestInteropProxyNcatHTTP runs gnc through ncat's own HTTP proxy server,
// without and with --proxy-auth (ncat offers Basic and Digest; gnc answers
// Digest), and with the credentials from NCAT_PROXY_AUTH.
func TestInteropProxyNcatHTTP(t *testing.T) {
	t.Parallel()
	ncat := requirePeer(t, "ncat")
	tests := []struct {
		name      string
		proxyAuth string // ncat's
		args      []string
		env       []string
		code      int
		msg       string
	}{
		{name: "no auth"},
		{name: "digest", proxyAuth: "user:pw", args: []string{"--proxy-auth", "user:pw"}},
		{name: "NCAT_PROXY_AUTH", proxyAuth: "user:pw", env: []string{"NCAT_PROXY_AUTH=user:pw"}},
		{name: "wrong password", proxyAuth: "user:pw", args: []string{"--proxy-auth", "user:nope"}, code: 1,
			msg: "gnc: Proxy returned status code 407 (HTTP/1.0 407 Proxy Authentication Required); the proxy refused the credentials.\n"},
		{name: "no credentials", proxyAuth: "user:pw", code: 1,
			msg: "gnc: Proxy returned status code 407 (HTTP/1.0 407 Proxy Authentication Required); the proxy wants credentials: use --proxy-auth.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pport := testnet.FreePort(t, "tcp", v4)
			pargs := []string{"-l", "--proxy-type", "http", v4, itoa(pport)}
			if tt.proxyAuth != "" {
				pargs = append(pargs, "--proxy-auth", tt.proxyAuth)
			}
			startProc(t, procOpts{}, ncat, pargs...)
			waitListening(t, "tcp", pport, "")
			ln, port := listenTCP(t, v4)
			args := append([]string{"--proxy", v4 + ":" + itoa(pport)}, tt.args...)
			p := gncWith(t, procOpts{env: tt.env}, append(args, "localhost", itoa(port))...)
			if tt.code != 0 {
				p.expectExit(tt.code)
				if got := p.stderr.String(); got != tt.msg {
					t.Errorf("stderr = %q; want %q", got, tt.msg)
				}
				return
			}
			c := accept(t, ln)
			write(t, c, "from server\n")
			p.waitStdout("from server\n")
			p.write("from gnc\n")
			readUntil(t, c, "from gnc\n")
			c.Close() // ncat's proxy closes the tunnel, gnc ends
			p.expectExit(0)
			if got := p.stderr.String(); got != "" {
				t.Errorf("stderr = %q", got)
			}
		})
	}
}

// TestInteropProxySocatTarget: socat serves the target through ncat's
// proxy; a gnc -k listener is reached through the same proxy, both ways.
func TestInteropProxySocatTarget(t *testing.T) {
	t.Parallel()
	ncat := requirePeer(t, "ncat")
	socat := requirePeer(t, "socat")
	pport := testnet.FreePort(t, "tcp", v4)
	startProc(t, procOpts{}, ncat, "-l", "--proxy-type", "http", v4, itoa(pport))
	waitListening(t, "tcp", pport, "")
	port := testnet.FreePort(t, "tcp", v4)
	srv := startProc(t, procOpts{}, socat, "TCP-LISTEN:"+itoa(port)+",bind="+v4+",reuseaddr", "STDIO")
	waitListening(t, "tcp", port, "")
	p := gnc(t, "--proxy", v4+":"+itoa(pport), v4, itoa(port))
	p.write("via proxy\n")
	srv.waitStdout("via proxy\n")
	srv.write("back\n")
	p.waitStdout("back\n")
	srv.closeStdin()
	p.expectExit(0)
}

// TestZeroCopyThroughProxy: after a SOCKS5 handshake the data path is
// still splice, with and without bytes that came right after the reply.
func TestZeroCopyThroughProxy(t *testing.T) {
	t.Parallel()
	for _, early := range []string{"", "early bytes\n"} {
		t.Run(fmt.Sprintf("early=%q", early), func(t *testing.T) {
			t.Parallel()
			src := testnet.NewStream(3, zeroCopySize)
			addr := fakeProxy(t, func(c net.Conn, br *bufio.Reader) error {
				if err := expectBytes(br, "\x05\x01\x00"); err != nil {
					return err
				}
				io.WriteString(c, "\x05\x00")
				if err := expectBytes(br, "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x01"); err != nil {
					return err
				}
				io.WriteString(c, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"+early)
				if _, err := io.Copy(c, src); err != nil {
					return err
				}
				return nil
			})
			outPath := filepath.Join(t.TempDir(), "out")
			out, err := os.Create(outPath)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { out.Close() })
			p, log := straceGnc(t, procOpts{stdout: out}, "--proxy-type", "socks5", "--proxy", addr, v4, "1")
			p.expectExit(0)
			got, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(got), early) {
				t.Fatalf("stdout starts %q; want %q", got[:min(len(got), 20)], early)
			}
			sum := sha256.Sum256(got[len(early):])
			if len(got) != len(early)+zeroCopySize || !bytes.Equal(sum[:], src.Sum()) {
				t.Fatalf("stdout has %d bytes (want %d) or differs from what was sent", len(got), len(early)+zeroCopySize)
			}
			if calls := zeroCopyCalls(t, log); len(calls) == 0 {
				t.Errorf("no successful splice through the proxy; strace log:\n%s", readFile(t, log))
			}
		})
	}
}

// TestInteropProxyChain goes through two of ncat's HTTP proxies, the
// second asking for credentials: --proxy a,b.
func TestInteropProxyChain(t *testing.T) {
	t.Parallel()
	ncat := requirePeer(t, "ncat")
	first, second := testnet.FreePort(t, "tcp", v4), testnet.FreePort(t, "tcp", v4)
	startProc(t, procOpts{}, ncat, "-l", "--proxy-type", "http", v4, itoa(first))
	startProc(t, procOpts{}, ncat, "-l", "--proxy-type", "http", "--proxy-auth", "u:pw", v4, itoa(second))
	waitListening(t, "tcp", first, "")
	waitListening(t, "tcp", second, "")
	ln, port := listenTCP(t, v4)
	chain := v4 + ":" + itoa(first) + "," + v4 + ":" + itoa(second)
	p := gnc(t, "-v", "--proxy", chain, "--proxy-auth", "u:pw", v4, itoa(port))
	c := accept(t, ln)
	write(t, c, "through two\n")
	p.waitStdout("through two\n")
	p.write("back\n")
	readUntil(t, c, "back\n")
	c.Close()
	p.expectExit(0)
	errs := p.stderr.String()
	for _, want := range []string{"gnc: Connected to proxy " + v4 + ":" + itoa(first) + "\n", "gnc: Connected to proxy " + v4 + ":" + itoa(second) + "\n"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}

	// A chain whose second hop refuses: the message names the hop.
	p = gnc(t, "--proxy", chain, v4, itoa(port))
	p.expectExit(1)
	want := "gnc: Proxy chain, hop 2 (" + v4 + ":" + itoa(second) + "): Proxy returned status code 407 (HTTP/1.0 407 Proxy Authentication Required); the proxy wants credentials: use --proxy-auth.\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr = %q; want %q", got, want)
	}
}

// TestProxyClientSignal: SIGINT ends a handshake with a silent proxy at
// once (the default -w, 10 s, is longer than the test waits).
func TestProxyClientSignal(t *testing.T) {
	t.Parallel()
	addr := fakeProxy(t, func(c net.Conn, br *bufio.Reader) error { io.Copy(io.Discard, br); return nil })
	p := gnc(t, "-v", "--proxy", addr, "h.invalid", "1")
	p.waitStderr("gnc: Connected to proxy " + addr + "\n")
	p.signal(syscall.SIGINT)
	p.wait()
	if sig := p.killedBy(); sig != syscall.SIGINT {
		t.Fatalf("gnc ended by %v (exit %d); want SIGINT\n%s", sig, p.exitCode(), p.dump())
	}
}
