//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// startProxyServer runs gnc -l --proxy-type typ on a free loopback port,
// with extra options, and returns it and its address.
func startProxyServer(t *testing.T, typ string, extra ...string) (*proc, string) {
	t.Helper()
	port := testnet.FreePort(t, "tcp", v4)
	args := append([]string{"-v", "-l", "--proxy-type", typ}, extra...)
	p := gnc(t, append(args, v4, itoa(port))...)
	waitListening(t, "tcp", port, "")
	return p, testnet.Addr(v4, port)
}

// originServer is an HTTP server on loopback that answers with the path it
// was asked for.
func originServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "origin %s %s %s", r.Method, r.URL.RequestURI(), body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// echoListener is a loopback TCP server that echoes each connection until
// its EOF; it and its connections end with the test.
func echoListener(t *testing.T) net.Listener {
	t.Helper()
	ln := testnet.Listen(t, "tcp", testnet.Addr(v4, 0))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln
}

// runTool runs a client tool to completion within waitTimeout and returns
// its stdout, stderr and exit code.
func runTool(t *testing.T, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	path := requirePeer(t, name)
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish: %v\n%s", name, args, ctx.Err(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestProxyServerCurlHTTP drives gnc's HTTP proxy with curl: plain GET
// (-x), CONNECT (-p -x), Basic and Digest credentials, wrong ones.
func TestProxyServerCurlHTTP(t *testing.T) {
	t.Parallel()
	origin := originServer(t)
	_, open := startProxyServer(t, "http")
	_, locked := startProxyServer(t, "http", "--proxy-auth", "alice:s3cret")
	tests := []struct {
		name   string
		proxy  string
		args   []string
		want   string // curl's output: the body and -w's codes
		status int
	}{
		{"get", open, nil, "origin GET /a?b=1  200 000", 0},
		{"post", open, []string{"-d", "data"}, "origin POST /a?b=1 data 200 000", 0},
		{"connect", open, []string{"-p"}, "origin GET /a?b=1  200 200", 0},
		{"get basic", locked, []string{"--proxy-user", "alice:s3cret"}, "origin GET /a?b=1  200 000", 0},
		{"connect basic", locked, []string{"-p", "--proxy-user", "alice:s3cret"}, "origin GET /a?b=1  200 200", 0},
		{"get digest", locked, []string{"--proxy-digest", "--proxy-user", "alice:s3cret"}, "origin GET /a?b=1  200 000", 0},
		{"connect digest", locked, []string{"-p", "--proxy-digest", "--proxy-user", "alice:s3cret"}, "origin GET /a?b=1  200 200", 0},
		{"get no credentials", locked, nil, " 407 000", 0},
		{"get wrong password", locked, []string{"--proxy-user", "alice:nope"}, " 407 000", 0},
		{"connect wrong password", locked, []string{"-p", "--proxy-digest", "--proxy-user", "alice:nope"}, " 000 407", 56},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-sS", "-m", "8", "-x", "http://" + tt.proxy, "-w", " %{http_code} %{http_connect}"}, tt.args...)
			out, errs, code := runTool(t, "", "curl", append(args, origin.URL+"/a?b=1")...)
			if out != tt.want || code != tt.status {
				t.Errorf("curl %q: %q, exit %d; want %q, exit %d\n%s", tt.args, out, code, tt.want, tt.status, errs)
			}
		})
	}
}

// TestProxyServerCurlSOCKS5 drives gnc's SOCKS5 server with curl, names
// resolved by curl (--socks5) or by gnc (--socks5-hostname).
func TestProxyServerCurlSOCKS5(t *testing.T) {
	t.Parallel()
	origin := originServer(t)
	port := testnet.Port(origin.Listener.Addr())
	_, open := startProxyServer(t, "socks5")
	_, locked := startProxyServer(t, "socks5", "--proxy-auth", "bob:pw")
	tests := []struct {
		name, url string
		args      []string
		want      string
		status    int
	}{
		{"socks5", origin.URL, []string{"--socks5", open}, "origin GET /  200", 0},
		{"socks5-hostname", "http://localhost:" + itoa(port), []string{"--socks5-hostname", open}, "origin GET /  200", 0},
		{"auth", origin.URL, []string{"--socks5", locked, "--proxy-user", "bob:pw"}, "origin GET /  200", 0},
		{"auth hostname", "http://localhost:" + itoa(port), []string{"--socks5-hostname", locked, "--proxy-user", "bob:pw"}, "origin GET /  200", 0},
		{"wrong password", origin.URL, []string{"--socks5", locked, "--proxy-user", "bob:x"}, " 000", 97},
		{"no credentials", origin.URL, []string{"--socks5", locked}, " 000", 97},
		{"refused", "http://127.0.0.1:" + itoa(testnet.FreePort(t, "tcp", v4)), []string{"--socks5", open}, " 000", 97},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-sS", "-m", "8", "-w", " %{http_code}"}, tt.args...)
			out, errs, code := runTool(t, "", "curl", append(args, tt.url)...)
			if out != tt.want || code != tt.status {
				t.Errorf("curl %q: %q, exit %d; want %q, exit %d\n%s", tt.args, out, code, tt.want, tt.status, errs)
			}
		})
	}
}

// TestProxyServerAuthFromEnv: without --proxy-auth, the servers take the
// credentials from NCAT_PROXY_AUTH, as ncat's does, rather than serving
// everyone.
func TestProxyServerAuthFromEnv(t *testing.T) {
	t.Parallel()
	target := echoListener(t).Addr().String()
	env := procOpts{env: []string{"NCAT_PROXY_AUTH=u:p"}}
	start := func(typ string) string {
		port := testnet.FreePort(t, "tcp", v4)
		gncWith(t, env, "-l", "--proxy-type", typ, v4, itoa(port))
		waitListening(t, "tcp", port, "")
		return testnet.Addr(v4, port)
	}
	httpAddr, socksAddr := start("http"), start("socks5")
	if got := rawRequest(t, httpAddr, "CONNECT "+target+" HTTP/1.1\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.0 407 ") {
		t.Errorf("http without credentials: got %q, want a 407", got)
	}
	basic := "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("u:p")) + "\r\n"
	if got := rawRequest(t, httpAddr, "CONNECT "+target+" HTTP/1.1\r\n"+basic+"\r\n"); got != "HTTP/1.0 200 OK\r\n\r\n" {
		t.Errorf("http with credentials: got %q", got)
	}
	// A SOCKS5 client that offers only "no authentication" is refused.
	if got := rawRequest(t, socksAddr, "\x05\x01\x00"); got != "\x05\xff" {
		t.Errorf("socks5 without credentials: got %q, want 05 ff", got)
	}
}

// TestProxyServerNcatClient uses ncat's proxy client through gnc's
// servers, with and without credentials.
func TestProxyServerNcatClient(t *testing.T) {
	t.Parallel()
	requirePeer(t, "ncat")
	echo := echoListener(t)
	target := echo.Addr().(*net.TCPAddr)
	tests := []struct {
		typ    string
		server []string
		client []string
		status int
	}{
		{"http", nil, nil, 0},
		{"http", []string{"--proxy-auth", "u:p"}, []string{"--proxy-auth", "u:p"}, 0},
		{"http", []string{"--proxy-auth", "u:p"}, []string{"--proxy-auth", "u:wrong"}, 1},
		{"socks5", nil, nil, 0},
		{"socks5", []string{"--proxy-auth", "u:p"}, []string{"--proxy-auth", "u:p"}, 0},
		{"socks5", []string{"--proxy-auth", "u:p"}, []string{"--proxy-auth", "u:wrong"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.typ+strings.Join(tt.client, ","), func(t *testing.T) {
			_, addr := startProxyServer(t, tt.typ, tt.server...)
			args := append([]string{"--proxy", addr, "--proxy-type", tt.typ}, tt.client...)
			out, errs, code := runTool(t, "through the proxy\n", "ncat", append(args, v4, itoa(target.Port))...)
			want := "through the proxy\n"
			if tt.status != 0 {
				want = ""
			}
			if out != want || code != tt.status {
				t.Errorf("ncat %q: %q, exit %d; want %q, exit %d\n%s", args, out, code, want, tt.status, errs)
			}
		})
	}
}

// rawRequest sends req to addr, half-closes, and returns the reply.
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	c := dial(t, "tcp", addr)
	write(t, c, req)
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reply to %q: %v (got %q)", req, err, b)
	}
	return string(b)
}

// TestProxyServerStatusCodes checks each error answer of gnc's HTTP proxy
// over a raw socket.
func TestProxyServerStatusCodes(t *testing.T) {
	t.Parallel()
	_, addr := startProxyServer(t, "http", "-w", "3")
	_, locked := startProxyServer(t, "http", "--proxy-auth", "u:p")
	closed := testnet.Addr(v4, testnet.FreePort(t, "tcp", v4))
	tests := []struct {
		name, addr, req, want string
	}{
		{"405", addr, "DELETE http://" + closed + "/ HTTP/1.1\r\n\r\n", "HTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n"},
		{"400 garbage", addr, "\x00\x01garbage\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n\r\n"},
		{"400 relative", addr, "GET /index.html HTTP/1.1\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n\r\n"},
		{"400 connect without port", addr, "CONNECT example.invalid HTTP/1.1\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n\r\n"},
		{"400 chunked", addr, "POST http://" + closed + "/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n\r\n"},
		{"403 loop", addr, "GET http://" + addr + "/ HTTP/1.1\r\n\r\n", "HTTP/1.0 403 Forbidden\r\n\r\n"},
		{"504 refused", addr, "CONNECT " + closed + " HTTP/1.1\r\n\r\n", "HTTP/1.0 504 Gateway Timeout\r\n\r\n"},
		{"504 unresolvable", addr, "GET http://no-such-host.invalid/ HTTP/1.1\r\n\r\n", "HTTP/1.0 504 Gateway Timeout\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawRequest(t, tt.addr, tt.req); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("407", func(t *testing.T) {
		got := rawRequest(t, locked, "CONNECT "+closed+" HTTP/1.1\r\n\r\n")
		for _, want := range []string{"HTTP/1.0 407 Proxy Authentication Required\r\n",
			"\r\nProxy-Authenticate: Basic realm=\"gnc\"\r\n", "\r\nProxy-Authenticate: Digest realm=\"gnc\", nonce=\"", `qop="auth"`} {
			if !strings.Contains(got, want) {
				t.Errorf("%q lacks %q", got, want)
			}
		}
	})
}

// TestProxyServerDigestReplay authenticates one CONNECT with Digest, then
// replays the same credentials (same nonce and count) on a new
// connection: gnc refuses it, unlike ncat.
func TestProxyServerDigestReplay(t *testing.T) {
	t.Parallel()
	target := echoListener(t).Addr().String()
	_, addr := startProxyServer(t, "http", "--proxy-auth", "u:p")
	challenge := rawRequest(t, addr, "CONNECT "+target+" HTTP/1.1\r\n\r\n")
	_, rest, _ := strings.Cut(challenge, `nonce="`)
	nonce, _, ok := strings.Cut(rest, `"`)
	if !ok {
		t.Fatalf("no nonce in %q", challenge)
	}
	md5hex := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	resp := md5hex(md5hex("u:gnc:p") + ":" + nonce + ":00000001:c0ffee:auth:" + md5hex("CONNECT:"+target))
	req := "CONNECT " + target + " HTTP/1.1\r\nProxy-Authorization: Digest username=\"u\", realm=\"gnc\", nonce=\"" + nonce +
		"\", uri=\"" + target + "\", qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"" + resp + "\"\r\n\r\n"
	if got := rawRequest(t, addr, req); got != "HTTP/1.0 200 OK\r\n\r\n" {
		t.Fatalf("first use: got %q", got)
	}
	if got := rawRequest(t, addr, req); !strings.HasPrefix(got, "HTTP/1.0 407 ") {
		t.Fatalf("replay: got %q, want 407", got)
	}
}

// TestProxyServerHostileClients: a silent client, a slowloris, one that
// sends headers forever and one that sends garbage are dropped (the first
// two after -w), and a good client is served while they are connected.
func TestProxyServerHostileClients(t *testing.T) {
	t.Parallel()
	origin := originServer(t)
	for _, typ := range []string{"http", "socks5"} {
		t.Run(typ, func(t *testing.T) {
			p, addr := startProxyServer(t, typ, "-w", "1")
			silent := dial(t, "tcp", addr)
			slow := dial(t, "tcp", addr)
			write(t, slow, "\x05") // or the first byte of a method
			garbage := dial(t, "tcp", addr)
			write(t, garbage, "\x16\x03\x01 not a proxy request at all\r\n\r\n")
			if typ == "http" {
				huge := dial(t, "tcp", addr)
				sent := make(chan struct{})
				go func() {
					defer close(sent)
					io.WriteString(huge, "GET http://x/ HTTP/1.1\r\n")
					for range 1000 {
						if _, err := io.WriteString(huge, "X-Pad: "+strings.Repeat("a", 1000)+"\r\n"); err != nil {
							return
						}
					}
				}()
				huge.SetDeadline(time.Now().Add(waitTimeout))
				if got, _ := io.ReadAll(huge); !strings.HasPrefix(string(got), "HTTP/1.0 400 ") {
					t.Errorf("endless headers: got %q, want 400", got)
				}
				<-sent
				out, errs, code := runTool(t, "", "curl", "-sS", "-m", "8", "-x", "http://"+addr, origin.URL)
				if out != "origin GET / " || code != 0 {
					t.Errorf("good client: %q, exit %d\n%s", out, code, errs)
				}
			} else {
				out, errs, code := runTool(t, "", "curl", "-sS", "-m", "8", "--socks5", addr, origin.URL)
				if out != "origin GET / " || code != 0 {
					t.Errorf("good client: %q, exit %d\n%s", out, code, errs)
				}
			}
			for name, c := range map[string]net.Conn{"silent": silent, "slow": slow, "garbage": garbage} {
				c.SetReadDeadline(time.Now().Add(waitTimeout))
				if _, err := io.ReadAll(bufio.NewReader(c)); err != nil && !errorsIsReset(err) {
					t.Errorf("%s client not dropped: %v", name, err)
				}
			}
			p.requireRunning("hostile clients must not end the server")
		})
	}
}

// TestProxyServerMaxConns: with -m 1 a second client is accepted and
// closed while the first one's tunnel is open, with ncat's -v line.
func TestProxyServerMaxConns(t *testing.T) {
	t.Parallel()
	echo := echoListener(t)
	p, addr := startProxyServer(t, "http", "-m", "1")
	first := dial(t, "tcp", addr)
	write(t, first, "CONNECT "+echo.Addr().String()+" HTTP/1.1\r\n\r\n")
	readUntil(t, first, "HTTP/1.0 200 OK\r\n\r\n")
	// The second client is accepted and closed; its unread request may
	// turn the close into a reset.
	second := dial(t, "tcp", addr)
	write(t, second, "CONNECT "+echo.Addr().String()+" HTTP/1.1\r\n\r\n")
	second.SetReadDeadline(time.Now().Add(waitTimeout))
	if got, err := io.ReadAll(second); len(got) != 0 || err != nil && !errorsIsReset(err) {
		t.Errorf("second client got %q, %v; want a close", got, err)
	}
	p.waitStderr("gnc: New connection denied: connection limit reached (1)\n")
	write(t, first, "still tunnelled\n")
	readUntil(t, first, "still tunnelled\n")
}

// TestProxyServerIdleTimeout: -i closes a tunnel that carries nothing.
func TestProxyServerIdleTimeout(t *testing.T) {
	t.Parallel()
	echo := echoListener(t)
	p, addr := startProxyServer(t, "http", "-i", "300ms")
	c := dial(t, "tcp", addr)
	write(t, c, "CONNECT "+echo.Addr().String()+" HTTP/1.1\r\n\r\nhello\n")
	readUntil(t, c, "hello\n")
	expectEOF(t, c, "")
	p.waitStderr("gnc: Idle timeout expired (300 ms).\n")
	p.requireRunning("-i ends one client, not the server")
}

// TestProxyServerOptions checks the options refused with a proxy server.
func TestProxyServerOptions(t *testing.T) {
	t.Parallel()
	p := gnc(t, "-l", "--proxy-type", "http", "-o", "/dev/null", v4, "0")
	p.expectExit(2)
	p.waitStderr("gnc: Invalid option combination: -l --proxy-type and -o (the proxy server does not use stdin or stdout). QUITTING.\n")
}

// TestZeroCopyProxyTunnel: without -i, a CONNECT tunnel is spliced by the
// kernel, and every byte arrives.
func TestZeroCopyProxyTunnel(t *testing.T) {
	t.Parallel()
	sink := testnet.Listen(t, "tcp", testnet.Addr(v4, 0))
	port := testnet.FreePort(t, "tcp", v4)
	p, log := straceGnc(t, procOpts{}, "-l", "--proxy-type", "http", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, c, "CONNECT "+sink.Addr().String()+" HTTP/1.1\r\n\r\n")
	readUntil(t, c, "HTTP/1.0 200 OK\r\n\r\n")
	target := accept(t, sink)
	src := testnet.NewStream(2, zeroCopySize)
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(c, src)
		c.(*net.TCPConn).CloseWrite()
		sent <- err
	}()
	target.SetReadDeadline(time.Now().Add(testTimeout))
	h := sha256.New()
	n, err := io.Copy(h, target)
	if err := <-sent; err != nil {
		t.Fatalf("sending: %v", err)
	}
	if err != nil || n != zeroCopySize || !bytes.Equal(h.Sum(nil), src.Sum()) {
		t.Fatalf("target read %d bytes, %v (or other bytes); want the %d sent", n, err, zeroCopySize)
	}
	target.Close()
	expectEOF(t, c, "")
	// SIGTERM to gnc itself (strace's child): gnc exits 0 at once, and
	// strace, which logs as it goes, then exits too.
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%[1]d/children", p.pid()))
	if err != nil || len(strings.Fields(string(kids))) != 1 {
		t.Fatalf("gnc under strace: children %q, %v", kids, err)
	}
	gncPid, _ := strconv.Atoi(strings.Fields(string(kids))[0])
	syscall.Kill(gncPid, syscall.SIGTERM)
	p.wait()
	if calls := zeroCopyCalls(t, log); len(calls) == 0 {
		t.Errorf("no successful splice through the tunnel; strace log:\n%s", readFile(t, log))
	}
}

// TestConnTableProxyServer: an HTTP proxy server lists its listener and
// each client in the connection table, with the bytes of the client's
// request, reply and tunnel (spliced: the kernel's counters are read while
// it runs), and counts a client refused by -m as denied, once.
func TestConnTableProxyServer(t *testing.T) {
	t.Parallel()
	echo := echoListener(t)
	status := testnet.FreePort(t, "tcp", v4)
	p, addr := startProxyServer(t, "http", "-m", "1", "--status", itoa(status))
	waitPort(t, testnet.Addr(v4, status))

	c := dial(t, "tcp", addr)
	req := "CONNECT " + echo.Addr().String() + " HTTP/1.1\r\n\r\n"
	const reply = "HTTP/1.0 200 OK\r\n\r\n"
	write(t, c, req)
	readUntil(t, c, reply)
	const n = 300000
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(make([]byte, n))
		sent <- err
	}()
	c.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
		t.Fatalf("echo through the tunnel: %v", err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("sending: %v", err)
	}
	refused := dial(t, "tcp", addr)
	expectEOF(t, refused, "")
	p.waitStderr("New connection denied: connection limit reached (1)")

	in, out := int64(len(req)+n), int64(len(reply)+n)
	var doc statusDoc
	body := httpGet(t, "http://"+testnet.Addr(v4, status)+"/connections")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/connections is not JSON: %v\n%s", err, body)
	}
	if len(doc.Connections) != 2 || doc.Accepted != 1 || doc.Denied != 1 || doc.Active != 1 || doc.BytesIn != in || doc.BytesOut != out {
		t.Errorf("/connections = %s\nwant a listener and a client; 1 accepted, 1 denied, %d bytes in, %d out", body, in, out)
	}
	for _, e := range doc.Connections {
		switch {
		case e.Listener:
			if e.Local != addr || e.State != "LISTEN" {
				t.Errorf("listener entry = %+v", e)
			}
		case e.Remote != c.LocalAddr().String() || e.Local != addr || e.State != "ESTABLISHED" || e.BytesIn != in || e.BytesOut != out:
			t.Errorf("client entry = %+v\nwant %s from %s, %d bytes in, %d out", e, addr, c.LocalAddr(), in, out)
		}
	}

	m, err := testnet.ParseMetrics(httpGet(t, "http://"+testnet.Addr(v4, status)+"/metrics"))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	want := map[string]float64{
		"gnc_connections_accepted_total": 1, "gnc_connections_denied_total": 1, "gnc_connections_active": 1,
		"gnc_listeners": 1, "gnc_received_bytes_total": float64(in), "gnc_sent_bytes_total": float64(out), "gnc_broker_dropped_total": 0,
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("/metrics = %v\nwant %v", m, want)
	}

	head, rows := requestTable(t, p)
	if got, want := fmt.Sprint(head), fmt.Sprint([]int64{1, 1, 1, 1, in, out}); got != want {
		t.Errorf("table header numbers = %v, want %v", got, want)
	}
	if len(rows) != 2 || rows[1].remote != c.LocalAddr().String() || rows[1].bytesIn != strconv.FormatInt(in, 10) || rows[1].bytesOut != strconv.FormatInt(out, 10) {
		t.Errorf("table rows = %+v", rows)
	}

	// Once the client leaves, it is gone from the table; its bytes stay
	// in the totals.
	c.(*net.TCPConn).CloseWrite()
	expectEOF(t, c, "")
	ctx, cancel := waitCtx(t)
	defer cancel()
	for {
		head, rows = requestTable(t, p)
		if head[0] == 0 || ctx.Err() != nil {
			break
		}
	}
	if got, want := fmt.Sprint(head), fmt.Sprint([]int64{0, 1, 1, 1, in, out}); got != want || len(rows) != 1 {
		t.Errorf("after the client left: header %v, rows %+v; want %v and the listener", got, rows, want)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
}
