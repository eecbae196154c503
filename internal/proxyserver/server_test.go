package proxyserver

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logBuf collects a server's log lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func newLogBuf() *logBuf { return &logBuf{added: make(chan struct{}, 1000)} }

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
	select {
	case l.added <- struct{}{}:
	default:
	}
}

// wait returns once a line contains want, failing the test when ctx ends.
func (l *logBuf) wait(ctx context.Context, t testing.TB, want string) {
	t.Helper()
	for {
		l.mu.Lock()
		text := strings.Join(l.lines, "\n")
		l.mu.Unlock()
		if strings.Contains(text, want) {
			return
		}
		select {
		case <-l.added:
		case <-ctx.Done():
			t.Fatalf("no log line %q in:\n%s", want, text)
		}
	}
}

// startServer runs Serve on a loopback listener until the test ends and
// returns its address; the cleanup checks that Serve returned nil.
func startServer(t *testing.T, o Options) (string, *logBuf) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogBuf()
	if o.Logf == nil {
		o.Logf = logs.logf
	}
	if o.Debugf == nil {
		o.Debugf = logs.logf
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, []net.Listener{ln}, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), logs
}

// echoServer echoes each connection until EOF, then closes it.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	return ln.Addr().String()
}

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends req on a new connection, half-closes it, and returns
// everything the server sends until it closes.
func roundTrip(t *testing.T, addr, req string) string {
	t.Helper()
	c := dialT(t, addr)
	io.WriteString(c, req)
	c.(*net.TCPConn).CloseWrite()
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestHTTPConnect(t *testing.T) {
	target := echoServer(t)
	addr, _ := startServer(t, Options{Type: "http"})
	c := dialT(t, addr)
	io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\nearly ")
	want := "HTTP/1.0 200 OK\r\n\r\nearly "
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	io.WriteString(c, "late")
	c.(*net.TCPConn).CloseWrite()
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "late" {
		t.Fatalf("after half-close got %q, %v; want %q", rest, err, "late")
	}
}

func TestHTTPStatus(t *testing.T) {
	target := echoServer(t)
	refused := refusedAddr(t)
	addr, _ := startServer(t, Options{Type: "http", ConnectTimeout: 5 * time.Second})
	_, selfPort, _ := net.SplitHostPort(addr)
	tests := []struct {
		name, req, status string
	}{
		{"put", "PUT http://" + target + "/ HTTP/1.1\r\n\r\n", "405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n"},
		{"options", "OPTIONS * HTTP/1.1\r\n\r\n", "405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n"},
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n", "400 Bad Request\r\n\r\n"},
		{"relative", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request\r\n\r\n"},
		{"connect without port", "CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n", "400 Bad Request\r\n\r\n"},
		{"chunked post", "POST http://" + target + "/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400 Bad Request\r\n\r\n"},
		{"post without length", "POST http://" + target + "/ HTTP/1.1\r\n\r\n", "400 Bad Request\r\n\r\n"},
		{"get loop", "GET http://" + addr + "/ HTTP/1.1\r\n\r\n", "403 Forbidden\r\n\r\n"},
		{"get loop by name", "GET http://localhost:" + selfPort + "/ HTTP/1.1\r\n\r\n", "403 Forbidden\r\n\r\n"},
		{"connect refused", "CONNECT " + refused + " HTTP/1.1\r\n\r\n", "504 Gateway Timeout\r\n\r\n"},
		{"get refused", "GET http://" + refused + "/ HTTP/1.1\r\n\r\n", "504 Gateway Timeout\r\n\r\n"},
		{"unresolvable", "GET http://no-such-host.invalid/ HTTP/1.1\r\n\r\n", "504 Gateway Timeout\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := roundTrip(t, addr, tt.req), "HTTP/1.0 "+tt.status; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestHTTPConnectSelf checks that CONNECT to the proxy itself is allowed,
// as in ncat: the tunnel then carries a second request to the proxy.
func TestHTTPConnectSelf(t *testing.T) {
	addr, _ := startServer(t, Options{Type: "http"})
	got := roundTrip(t, addr, "CONNECT "+addr+" HTTP/1.1\r\n\r\nBREW x HTTP/1.0\r\n\r\n")
	want := "HTTP/1.0 200 OK\r\n\r\nHTTP/1.0 405 Method Not Allowed\r\nAllow: CONNECT, GET, HEAD, POST\r\n\r\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// originServer answers one request with reply and sends what it received
// (up to the end of the head plus bodyLen bytes) on the returned channel.
func originServer(t *testing.T, bodyLen int, reply string) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(c)
		var b strings.Builder
		for {
			line, err := br.ReadString('\n')
			b.WriteString(line)
			if err != nil || line == "\r\n" {
				break
			}
		}
		body := make([]byte, bodyLen)
		io.ReadFull(br, body)
		b.Write(body)
		got <- b.String()
		io.WriteString(c, reply)
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), got
}

func TestHTTPForward(t *testing.T) {
	const reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name, req, want string
		body            int
	}{
		{"get", "GET http://%s/a?b HTTP/1.1\r\nHost: %[1]s\r\nAccept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n",
			"GET /a?b HTTP/1.0\r\nHost: %s\r\nAccept: */*\r\nConnection: close\r\n\r\n", 0},
		{"head", "HEAD http://%s HTTP/1.0\r\n\r\n", "HEAD / HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", 0},
		{"post", "POST http://%s/f HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "POST /f HTTP/1.0\r\nHost: %s\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 5},
	}
	addr, _ := startServer(t, Options{Type: "http"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin, got := originServer(t, tt.body, reply)
			if resp := roundTrip(t, addr, fmt.Sprintf(tt.req, origin)); resp != reply {
				t.Errorf("response %q, want %q", resp, reply)
			}
			if req, want := <-got, fmt.Sprintf(tt.want, origin); req != want {
				t.Errorf("origin got %q, want %q", req, want)
			}
		})
	}
}

// readResponse reads one response head (the proxy's replies have no body).
func readResponse(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			t.Fatalf("response %q: %v", b.String(), err)
		}
		if line == "\r\n" {
			return b.String()
		}
	}
}

func TestHTTPAuth(t *testing.T) {
	target := echoServer(t)
	addr, _ := startServer(t, Options{Type: "http", Auth: "u:p"})
	unbounded, _ := startServer(t, Options{Type: "http", Auth: "u:p", HandshakeTimeout: -1})
	connect := "CONNECT " + target + " HTTP/1.1\r\n"
	basic := func(s string) string {
		return "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(s)) + "\r\n"
	}

	t.Run("missing", func(t *testing.T) {
		got := roundTrip(t, addr, connect+"\r\n")
		for _, want := range []string{"HTTP/1.0 407 Proxy Authentication Required\r\n", "Proxy-Authenticate: Basic realm=\"gnc\"\r\n",
			"Proxy-Authenticate: Digest realm=\"gnc\", nonce=\"", "qop=\"auth\""} {
			if !strings.Contains(got, want) {
				t.Errorf("%q lacks %q", got, want)
			}
		}
	})
	t.Run("basic", func(t *testing.T) {
		if got := roundTrip(t, addr, connect+basic("u:p")+"\r\n"); got != "HTTP/1.0 200 OK\r\n\r\n" {
			t.Errorf("got %q", got)
		}
		if got := roundTrip(t, addr, connect+basic("u:x")+"\r\n"); !strings.HasPrefix(got, "HTTP/1.0 407 ") {
			t.Errorf("wrong password: got %q", got)
		}
	})
	t.Run("digest and replay", func(t *testing.T) {
		// The challenge and the credentials on one connection, as curl
		// sends them.
		c := dialT(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, connect+"\r\n")
		challenge := readResponse(t, br)
		_, rest, _ := strings.Cut(challenge, "nonce=\"")
		nonce, _, _ := strings.Cut(rest, "\"")
		creds := "Proxy-Authorization: " + digestHeader("u", "p", nonce, "CONNECT", target, "00000001", "abc") + "\r\n"
		io.WriteString(c, connect+creds+"\r\nping")
		if got := readResponse(t, br); got != "HTTP/1.0 200 OK\r\n\r\n" {
			t.Fatalf("digest: got %q", got)
		}
		echo := make([]byte, 4)
		if _, err := io.ReadFull(br, echo); err != nil || string(echo) != "ping" {
			t.Fatalf("tunnel echo %q, %v", echo, err)
		}
		c.Close()
		if got := roundTrip(t, addr, connect+creds+"\r\n"); !strings.HasPrefix(got, "HTTP/1.0 407 ") || strings.Contains(got, "stale=true") {
			t.Errorf("replayed nonce: got %q, want a 407 without stale", got)
		}
	})
	t.Run("HTTP/1.0 closed after the challenge", func(t *testing.T) {
		// No half-close: only the server's close ends the read (before
		// the fix it waited for another request until the test's
		// deadline, holding a -m slot).
		c := dialT(t, unbounded)
		io.WriteString(c, "CONNECT "+target+" HTTP/1.0\r\n\r\n")
		got, err := io.ReadAll(c)
		if err != nil || !strings.HasPrefix(string(got), "HTTP/1.0 407 ") || strings.Contains(string(got), "keep-alive") {
			t.Errorf("got %q, %v; want a 407 that does not keep the connection, then EOF", got, err)
		}
	})
	t.Run("HTTP/1.0 keep-alive may retry on the connection", func(t *testing.T) {
		c := dialT(t, unbounded)
		br := bufio.NewReader(c)
		connect10 := "CONNECT " + target + " HTTP/1.0\r\nProxy-Connection: Keep-Alive\r\n"
		io.WriteString(c, connect10+"\r\n")
		if got := readResponse(t, br); !strings.HasPrefix(got, "HTTP/1.0 407 ") || !strings.Contains(got, "\r\nProxy-Connection: keep-alive\r\n") {
			t.Fatalf("got %q, want a 407 that keeps the connection", got)
		}
		io.WriteString(c, connect10+basic("u:p")+"\r\n")
		if got := readResponse(t, br); got != "HTTP/1.0 200 OK\r\n\r\n" {
			t.Errorf("retry: got %q", got)
		}
	})
	t.Run("guessing bounded", func(t *testing.T) {
		got := roundTrip(t, addr, strings.Repeat(connect+basic("u:x")+"\r\n", authRounds+2))
		if n := strings.Count(got, "HTTP/1.0 407"); n != authRounds {
			t.Errorf("%d challenges on one connection, want %d", n, authRounds)
		}
	})
}

// TestHTTPAuthStale: credentials made with an expired nonce get a 407
// whose Digest challenge says stale=true, so that a client retries with
// the new nonce instead of asking its user for a password again.
func TestHTTPAuthStale(t *testing.T) {
	s := &server{o: Options{Type: "http", Auth: "u:p"}, auth: newAuthenticator("u:p")}
	now := time.Now()
	s.auth.now = func() time.Time { return now }
	client, server := net.Pipe()
	defer client.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		s.serveHTTP(context.Background(), &clientConn{Conn: server})
	}()
	client.SetDeadline(time.Now().Add(testTimeout))
	br := bufio.NewReader(client)
	const target = "127.0.0.1:9" // never dialed: every answer is a 407
	connect := "CONNECT " + target + " HTTP/1.1\r\n"
	io.WriteString(client, connect+"\r\n")
	challenge := readResponse(t, br)
	if strings.Contains(challenge, "stale") {
		t.Fatalf("first challenge %q says stale", challenge)
	}
	_, rest, _ := strings.Cut(challenge, "nonce=\"")
	nonce, _, _ := strings.Cut(rest, "\"")
	now = now.Add(nonceLifetime + time.Second)
	io.WriteString(client, connect+"Proxy-Authorization: "+digestHeader("u", "p", nonce, "CONNECT", target, "00000001", "abc")+"\r\n\r\n")
	got := readResponse(t, br)
	if !strings.HasPrefix(got, "HTTP/1.0 407 ") || !strings.Contains(got, "stale=true") {
		t.Errorf("expired nonce: got %q, want a 407 with stale=true", got)
	}
	if strings.Contains(got, `nonce="`+nonce+`"`) {
		t.Errorf("the new challenge repeats the expired nonce: %q", got)
	}
	client.Close()
	<-done
}

// socksDial does a SOCKS5 handshake (with credentials unless user is "")
// for the request bytes and returns the connection and the reply.
func socksDial(t *testing.T, addr, user, pass string, req []byte) (net.Conn, []byte) {
	t.Helper()
	c := dialT(t, addr)
	method := byte(methodNoAuth)
	if user != "" {
		method = methodUserPass
	}
	c.Write([]byte{5, 1, method})
	sel := make([]byte, 2)
	if _, err := io.ReadFull(c, sel); err != nil || sel[1] != method {
		t.Fatalf("method selection %v, %v", sel, err)
	}
	if user != "" {
		c.Write(append(append(append([]byte{1, byte(len(user))}, user...), byte(len(pass))), pass...))
		st := make([]byte, 2)
		if _, err := io.ReadFull(c, st); err != nil || st[1] != 0 {
			t.Fatalf("auth status %v, %v", st, err)
		}
	}
	c.Write(req)
	head := make([]byte, 4)
	if _, err := io.ReadFull(c, head); err != nil {
		t.Fatalf("reply: %v", err)
	}
	n := 4 + 2
	if head[3] == atypIPv6 {
		n = 16 + 2
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(c, rest); err != nil {
		t.Fatalf("reply: %v", err)
	}
	return c, append(head, rest...)
}

func connectReq(t *testing.T, addr string) []byte {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	ip := net.ParseIP(host)
	var b []byte
	switch {
	case ip == nil:
		b = append([]byte{5, 1, 0, atypDomain, byte(len(host))}, host...)
	case ip.To4() != nil:
		b = append([]byte{5, 1, 0, atypIPv4}, ip.To4()...)
	default:
		b = append([]byte{5, 1, 0, atypIPv6}, ip.To16()...)
	}
	return append(b, byte(p>>8), byte(p))
}

func TestSOCKS5(t *testing.T) {
	target := echoServer(t)
	_, port, _ := net.SplitHostPort(target)
	addr, _ := startServer(t, Options{Type: "socks5"})
	for _, dst := range []string{target, "localhost:" + port} {
		t.Run(dst, func(t *testing.T) {
			c, reply := socksDial(t, addr, "", "", connectReq(t, dst))
			if reply[1] != byte(repSucceeded) || reply[3] != atypIPv4 || reply[4] != 127 {
				t.Fatalf("reply %v", reply)
			}
			io.WriteString(c, "hi")
			c.(*net.TCPConn).CloseWrite()
			if got, _ := io.ReadAll(c); string(got) != "hi" {
				t.Errorf("echo %q", got)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		_, reply := socksDial(t, addr, "", "", connectReq(t, refusedAddr(t)))
		if reply[1] != byte(repConnectionRefused) {
			t.Errorf("reply %v, want code %d", reply, repConnectionRefused)
		}
	})
	for _, cmd := range []byte{cmdBind, cmdAssociate} {
		t.Run(fmt.Sprint("command ", cmd), func(t *testing.T) {
			req := connectReq(t, target)
			req[1] = cmd
			_, reply := socksDial(t, addr, "", "", req)
			if reply[1] != byte(repCommandUnsupported) {
				t.Errorf("reply %v, want code %d", reply, repCommandUnsupported)
			}
		})
	}
	t.Run("bad address type", func(t *testing.T) {
		_, reply := socksDial(t, addr, "", "", []byte{5, 1, 0, 9})
		if reply[1] != byte(repAddressUnsupported) {
			t.Errorf("reply %v, want code %d", reply, repAddressUnsupported)
		}
	})
}

func TestSOCKS5IPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	addr, _ := startServer(t, Options{Type: "socks5"})
	c, reply := socksDial(t, addr, "", "", connectReq(t, ln.Addr().String()))
	defer c.Close()
	if reply[1] != 0 || reply[3] != atypIPv6 {
		t.Fatalf("reply %v, want success with an IPv6 bound address", reply)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	peer.Close()
}

func TestSOCKS5Auth(t *testing.T) {
	target := echoServer(t)
	addr, logs := startServer(t, Options{Type: "socks5", Auth: "user:secret"})
	t.Run("good", func(t *testing.T) {
		_, reply := socksDial(t, addr, "user", "secret", connectReq(t, target))
		if reply[1] != 0 {
			t.Fatalf("reply %v", reply)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := dialT(t, addr)
		c.Write([]byte{5, 1, 2, 1, 4, 'u', 's', 'e', 'r', 1, 'x'})
		got, _ := io.ReadAll(c)
		if string(got) != "\x05\x02\x01\x01" {
			t.Errorf("got %v, want method 2 then failure", got)
		}
		logs.wait(testCtx(t), t, "proxy authentication failed")
	})
	t.Run("no auth offered", func(t *testing.T) {
		c := dialT(t, addr)
		c.Write([]byte{5, 1, 0})
		got, _ := io.ReadAll(c)
		if string(got) != "\x05\xff" {
			t.Errorf("got %v, want no acceptable method", got)
		}
	})
}

// TestHostileClients checks that a silent client, a slow one and one that
// sends headers forever are dropped after the handshake timeout or the
// size bound, while another client is served meanwhile.
func TestHostileClients(t *testing.T) {
	target := echoServer(t)
	for _, typ := range []string{"http", "socks5"} {
		t.Run(typ, func(t *testing.T) {
			addr, _ := startServer(t, Options{Type: typ, HandshakeTimeout: 300 * time.Millisecond})
			silent := dialT(t, addr)
			slow := dialT(t, addr)
			io.WriteString(slow, "G")
			if typ == "http" {
				huge := dialT(t, addr)
				go func() {
					io.WriteString(huge, "GET http://x/ HTTP/1.1\r\n")
					for i := 0; i < 1000; i++ {
						if _, err := io.WriteString(huge, "X-Pad: "+strings.Repeat("a", 1000)+"\r\n"); err != nil {
							return
						}
					}
				}()
				got, _ := io.ReadAll(huge)
				if !strings.HasPrefix(string(got), "HTTP/1.0 400 ") {
					t.Errorf("huge head: got %q", got)
				}
				if got := roundTrip(t, addr, "CONNECT "+target+" HTTP/1.1\r\n\r\n"); got != "HTTP/1.0 200 OK\r\n\r\n" {
					t.Errorf("a good client during the attack got %q", got)
				}
			} else {
				_, reply := socksDial(t, addr, "", "", connectReq(t, target))
				if reply[1] != 0 {
					t.Errorf("a good client during the attack got %v", reply)
				}
			}
			for _, c := range []net.Conn{silent, slow} {
				if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("hostile client not closed cleanly: %v", err)
				}
			}
		})
	}
}

func TestMaxConns(t *testing.T) {
	target := echoServer(t)
	addr, logs := startServer(t, Options{Type: "http", MaxConns: 1})
	first := dialT(t, addr)
	io.WriteString(first, "CONNECT "+target+" HTTP/1.1\r\n\r\n")
	br := bufio.NewReader(first)
	readResponse(t, br)
	if got := roundTrip(t, addr, "CONNECT "+target+" HTTP/1.1\r\n\r\n"); got != "" {
		t.Errorf("client over the cap got %q, want a bare close", got)
	}
	logs.wait(testCtx(t), t, "New connection denied: connection limit reached (1)")
	first.Close()
	// The slot is freed when the first client's tunnel ends; a later
	// client is served then.
	ctx := testCtx(t)
	for {
		got := roundTrip(t, addr, "CONNECT "+target+" HTTP/1.1\r\n\r\n")
		if got == "HTTP/1.0 200 OK\r\n\r\n" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the slot was never freed")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestHooks(t *testing.T) {
	target := echoServer(t)
	var mu sync.Mutex
	var calls, wrapped int
	addr, logs := startServer(t, Options{
		Type: "http",
		Allow: func(net.Addr) bool { // every other client
			mu.Lock()
			defer mu.Unlock()
			calls++
			return calls%2 == 0
		},
		WrapConn: func(ctx context.Context, c net.Conn) (net.Conn, error) {
			mu.Lock()
			defer mu.Unlock()
			wrapped++
			return c, nil
		},
	})
	var allowed, denied int
	for range 4 {
		switch got := roundTrip(t, addr, "CONNECT "+target+" HTTP/1.1\r\n\r\n"); got {
		case "HTTP/1.0 200 OK\r\n\r\n":
			allowed++
		case "":
			denied++
		default:
			t.Errorf("got %q", got)
		}
	}
	if allowed != 2 || denied != 2 {
		t.Errorf("%d clients allowed and %d denied, want 2 and 2", allowed, denied)
	}
	logs.wait(testCtx(t), t, "New connection denied: not allowed")
	mu.Lock()
	defer mu.Unlock()
	if wrapped != allowed {
		t.Errorf("WrapConn ran %d times for %d allowed clients", wrapped, allowed)
	}
}

// TestIdleTimeout checks that -i closes a silent tunnel and logs it.
func TestIdleTimeout(t *testing.T) {
	target := echoServer(t)
	addr, logs := startServer(t, Options{Type: "socks5", IdleTimeout: 200 * time.Millisecond})
	c, reply := socksDial(t, addr, "", "", connectReq(t, target))
	if reply[1] != 0 {
		t.Fatalf("reply %v", reply)
	}
	io.WriteString(c, "x")
	if got, err := io.ReadAll(c); string(got) != "x" || err != nil {
		t.Errorf("got %q, %v; want the echo, then a close", got, err)
	}
	logs.wait(testCtx(t), t, "Idle timeout expired (200 ms).")
}

// TestShutdown cancels a server with tunnels, handshakes and forwards in
// progress: Serve returns and goleak (TestMain) finds nothing left.
func TestShutdown(t *testing.T) {
	target := echoServer(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, []net.Listener{ln}, Options{Type: "http"}) }()
	addr := ln.Addr().String()
	tunnel := dialT(t, addr)
	io.WriteString(tunnel, "CONNECT "+target+" HTTP/1.1\r\n\r\n")
	readResponse(t, bufio.NewReader(tunnel))
	half := dialT(t, addr)
	io.WriteString(half, "GET http://")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	// Every client is closed, none left hanging. A reset is a close too:
	// the server may shut a connection whose bytes it had not read yet.
	for _, c := range []net.Conn{tunnel, half} {
		if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client after shutdown: %v", err)
		}
	}
}
