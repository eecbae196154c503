package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gnc/internal/transport"
)

// testTimeout bounds every real wait; a guard against hangs, not a
// performance threshold.
const testTimeout = 30 * time.Second

// fakeProxy serves each accepted connection with the next handler, in
// order, and fails the test if a handler reports an error. It is closed,
// and its goroutines waited for, when the test ends.
func fakeProxy(t *testing.T, handlers ...func(c net.Conn) error) string {
	t.Helper()
	return fakeProxyOn(t, "tcp", "127.0.0.1:0", handlers...)
}

// fakeProxyOn is fakeProxy listening on network and addr; it skips the
// test if it cannot listen there (no IPv6 loopback).
func fakeProxyOn(t *testing.T, network, addr string, handlers ...func(c net.Conn) error) string {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for i := 0; i < len(handlers); {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(testTimeout))
			br := bufio.NewReader(c)
			if _, err := br.Peek(1); err != nil {
				// A probe that sent nothing (a port scan elsewhere on
				// this machine): not the client under test.
				c.Close()
				continue
			}
			h := handlers[i]
			i++
			wg.Go(func() {
				defer c.Close()
				if err := h(peekedConn{c, br}); err != nil {
					t.Errorf("fake proxy: %v", err)
				}
			})
		}
	})
	return ln.Addr().String()
}

// peekedConn is a conn whose first bytes sit in a bufio.Reader.
type peekedConn struct {
	net.Conn
	br *bufio.Reader
}

func (c peekedConn) Read(p []byte) (int, error) { return c.br.Read(p) }

func (c peekedConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// expect reads exactly len(want) bytes from r and compares them.
func expect(r io.Reader, want string) error {
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		return fmt.Errorf("reading request: %w; got %q", err, got)
	}
	if string(got) != want {
		return fmt.Errorf("request = %q; want %q", got, want)
	}
	return nil
}

// reply writes a reply, then, if echo, echoes what follows.
func reply(req, resp string, echo bool) func(net.Conn) error {
	return func(c net.Conn) error {
		br := bufio.NewReader(c)
		if err := expect(br, req); err != nil {
			return err
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return err
		}
		if echo {
			io.Copy(c, br)
		}
		return nil
	}
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// roundTrip writes ping through c and reads it back from the echo.
func roundTrip(t *testing.T, c net.Conn, prefix string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(prefix)+4)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != prefix+"ping" {
		t.Fatalf("read %q; want %q", got, prefix+"ping")
	}
}

func TestDialSuccess(t *testing.T) {
	digestReply := "HTTP/1.1 407 Proxy Authentication Required\r\n" +
		"Proxy-Authenticate: Basic realm=\"Ncat\"\r\n" +
		"Proxy-Authenticate: Digest realm=\"Ncat\", nonce=\"abc\", qop=\"auth\"\r\nContent-Length: 5\r\n\r\nnope!"
	tests := []struct {
		name     string
		o        Options
		handlers []func(net.Conn) error
		early    string // bytes the proxy sends right after its reply
	}{
		{name: "http ip", o: Options{Host: "127.0.0.1", Port: 80},
			handlers: []func(net.Conn) error{reply("CONNECT 127.0.0.1:80 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true)}},
		{name: "http name remote", o: Options{Type: "http", Host: "example.invalid", Port: 443},
			handlers: []func(net.Conn) error{reply("CONNECT example.invalid:443 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n", true)}},
		{name: "http ipv6 target", o: Options{Host: "::1", Port: 22},
			handlers: []func(net.Conn) error{reply("CONNECT [::1]:22 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true)}},
		{name: "http early bytes", o: Options{Host: "h.invalid", Port: 1}, early: "banner\n",
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nbanner\n", true)}},
		{name: "http basic", o: Options{Host: "h.invalid", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{
				reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n", false),
				reply("CONNECT h.invalid:1 HTTP/1.0\r\nProxy-Authorization: Basic dTpw\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true),
			}},
		{name: "http digest preferred", o: Options{Host: "h.invalid", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{
				reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", digestReply, false),
				func(c net.Conn) error {
					br := bufio.NewReader(c)
					if err := expect(br, "CONNECT h.invalid:1 HTTP/1.0\r\nProxy-Authorization: Digest username=\"u\", realm=\"Ncat\", nonce=\"abc\", uri=\"h.invalid:1\", qop=auth, cnonce=\""); err != nil {
						return err
					}
					line, _ := br.ReadString('\n')
					if !strings.Contains(line, "nc=00000001, response=\"") {
						return errors.New("bad digest tail " + line)
					}
					if err := expect(br, "\r\n"); err != nil {
						return err
					}
					io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n")
					io.Copy(c, br)
					return nil
				},
			}},
		{name: "socks4 ip", o: Options{Type: "socks4", Host: "127.0.0.1", Port: 80},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", "\x00\x5a\x00\x00\x00\x00\x00\x00", true)}},
		{name: "socks4a user id", o: Options{Type: "socks4", Host: "h.invalid", Port: 80, Auth: "bob"},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x50\x00\x00\x00\x01bob\x00h.invalid\x00", "\x00\x5a\x00\x00\x00\x00\x00\x00", true)}},
		{name: "socks4 early bytes", o: Options{Type: "socks4", Host: "127.0.0.1", Port: 80}, early: "SSH-2.0\r\n",
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x50\x7f\x00\x00\x01\x00", "\x00\x5a\x00\x00\x00\x00\x00\x00SSH-2.0\r\n", true)}},
		{name: "socks5 no auth name", o: Options{Type: "socks5", Host: "h.invalid", Port: 80},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x01\x00", "\x05\x00", false)(c); err != nil {
					return err
				}
				return reply("\x05\x01\x00\x03\x09h.invalid\x00\x50", "\x05\x00\x00\x01\x7f\x00\x00\x01\x12\x34", true)(c)
			}}},
		{name: "socks5 user pass ipv6", o: Options{Type: "socks5", Host: "::1", Port: 443, Auth: "user:pass"},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x02\x00\x02", "\x05\x02", false)(c); err != nil {
					return err
				}
				if err := reply("\x01\x04user\x04pass", "\x01\x00", false)(c); err != nil {
					return err
				}
				return reply("\x05\x01\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\xbb",
					"\x05\x00\x00\x03\x04host\x00\x50hi", true)(c)
			}}, early: "hi"},
		{name: "socks5 auth offered, none chosen", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x02\x00\x02", "\x05\x00", false)(c); err != nil {
					return err
				}
				return reply("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x01", "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", true)(c)
			}}},
		{name: "local dns", o: Options{Type: "socks5", Host: "localhost", Port: 7, DNS: "local", Family: 4},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x01\x00", "\x05\x00", false)(c); err != nil {
					return err
				}
				return reply("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x07", "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", true)(c)
			}}},
		{name: "both dns, name resolves", o: Options{Host: "localhost", Port: 7, DNS: "both", Family: 4},
			handlers: []func(net.Conn) error{reply("CONNECT 127.0.0.1:7 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true)}},
		{name: "local dns http", o: Options{Host: "localhost", Port: 7, DNS: "local", Family: 4},
			handlers: []func(net.Conn) error{reply("CONNECT 127.0.0.1:7 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true)}},
		{name: "remote dns socks4a", o: Options{Type: "socks4", Host: "localhost", Port: 7, DNS: "remote"},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x07\x00\x00\x00\x01\x00localhost\x00", "\x00\x5a\x00\x00\x00\x00\x00\x00", true)}},
		{name: "both dns, name unresolvable", o: Options{Host: "no-such-host.invalid", Port: 7, DNS: "both"},
			handlers: []func(net.Conn) error{reply("CONNECT no-such-host.invalid:7 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Addr = fakeProxy(t, tt.handlers...)
			o.Timeout = testTimeout
			var lines []string
			o.Logf = func(f string, a ...any) { lines = append(lines, f) }
			c, err := Dial(dialCtx(t), o)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			_, bare := c.(*net.TCPConn)
			if bare != (tt.early == "") {
				t.Errorf("Dial returned %T; want a bare *net.TCPConn exactly when no early bytes", c)
			}
			roundTrip(t, c, tt.early)
			if !slices.Contains(lines, "Connected to proxy %s") {
				t.Errorf("-v lines %q; want Connected to proxy", lines)
			}
		})
	}
}

// TestPrefixConnWriteTo checks that the early bytes come first on the
// relay's io.Copy path too, and that half-close reaches the socket.
func TestPrefixConnWriteTo(t *testing.T) {
	addr := fakeProxy(t, func(c net.Conn) error {
		br := bufio.NewReader(c)
		if err := expect(br, "CONNECT h.invalid:1 HTTP/1.0\r\n\r\n"); err != nil {
			return err
		}
		io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\nfirst ")
		io.Copy(c, br) // until our half-close
		io.WriteString(c, "last")
		return nil
	})
	c, err := Dial(dialCtx(t), Options{Addr: addr, Host: "h.invalid", Port: 1, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	n, err := io.Copy(c, strings.NewReader("middle "))
	if n != 7 || err != nil {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if _, err := io.Copy(&sb, c); err != nil {
		t.Fatal(err)
	}
	if sb.String() != "first middle last" {
		t.Fatalf("read %q", sb.String())
	}
}

func TestDialFailures(t *testing.T) {
	closeNow := func(c net.Conn) error { return nil }
	tests := []struct {
		name     string
		o        Options
		handlers []func(net.Conn) error
		want     string // in the error text
	}{
		{name: "http 403", o: Options{Host: "h.invalid", Port: 1},
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 403 Forbidden\r\n\r\n", false)},
			want:     "Proxy returned status code 403 (HTTP/1.0 403 Forbidden)."},
		{name: "http 407 no auth", o: Options{Host: "h.invalid", Port: 1},
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic\r\n\r\n", false)},
			want:     "status code 407 (HTTP/1.0 407 Auth); the proxy wants credentials: use --proxy-auth."},
		{name: "http 407 refused twice", o: Options{Host: "h.invalid", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{
				reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic\r\n\r\n", false),
				reply("CONNECT h.invalid:1 HTTP/1.0\r\nProxy-Authorization: Basic dTpw\r\n\r\n", "HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic\r\n\r\n", false),
			},
			want: "the proxy refused the credentials."},
		{name: "http 407 unknown scheme", o: Options{Host: "h.invalid", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 407 Auth\r\nProxy-Authenticate: NTLM\r\n\r\n", false)},
			want:     "Unknown authentication type: the proxy offers ntlm"},
		{name: "http garbage", o: Options{Host: "h.invalid", Port: 1},
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "SSH-2.0-x\r\n\r\n", false)},
			want:     "Error: malformed HTTP reply from proxy."},
		{name: "http short", o: Options{Host: "h.invalid", Port: 1},
			handlers: []func(net.Conn) error{reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n", false)},
			want:     "Error: short response from proxy"},
		{name: "http closes at once", o: Options{Host: "h.invalid", Port: 1}, handlers: []func(net.Conn) error{closeNow},
			want: "Error"},
		{name: "http endless header", o: Options{Host: "h.invalid", Port: 1},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				io.WriteString(c, "HTTP/1.0 200 OK\r\n")
				for range 200 {
					if _, err := io.WriteString(c, "X: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n"); err != nil {
						return nil
					}
				}
				io.Copy(io.Discard, c)
				return nil
			}},
			want: "too long"},
		{name: "socks4 rejected", o: Options{Type: "socks4", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x01\x7f\x00\x00\x01\x00", "\x00\x5b\x00\x00\x00\x00\x00\x00", false)},
			want:     "SOCKS4 reply 91, request rejected or failed."},
		{name: "socks4 bad version", o: Options{Type: "socks4", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x01\x7f\x00\x00\x01\x00", "HTTP/1.0", false)},
			want:     "malformed connect response"},
		{name: "socks4 short", o: Options{Type: "socks4", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x04\x01\x00\x01\x7f\x00\x00\x01\x00", "\x00\x5a\x00", false)},
			want:     "short response"},
		{name: "socks4 ipv6 target", o: Options{Type: "socks4", Host: "::1", Port: 1},
			want: "Error: IPv6 addresses are not supported with Socks4."},
		{name: "socks5 needs auth", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x05\x01\x00", "\x05\xff", false)},
			want:     "use --proxy-auth"},
		{name: "socks5 auth failed", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1, Auth: "u:p"},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x02\x00\x02", "\x05\x02", false)(c); err != nil {
					return err
				}
				return reply("\x01\x01u\x01p", "\x01\x01", false)(c)
			}},
			want: "Error: authentication failed"},
		{name: "socks5 bogus method", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x05\x01\x00", "\x05\x02", false)},
			want:     "invalid authentication method 2"},
		{name: "socks5 refused", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{func(c net.Conn) error {
				if err := reply("\x05\x01\x00", "\x05\x00", false)(c); err != nil {
					return err
				}
				return reply("\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x01", "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", false)(c)
			}},
			want: "SOCKS5 reply 5, connection refused."},
		{name: "socks5 wrong version", o: Options{Type: "socks5", Host: "127.0.0.1", Port: 1},
			handlers: []func(net.Conn) error{reply("\x05\x01\x00", "\x04\x00", false)},
			want:     "wrong SOCKS version"},
		{name: "dns none", o: Options{Host: "h.invalid", Port: 1, DNS: "none"},
			want: "--proxy-dns none"},
		{name: "dns local fails", o: Options{Host: "no-such-host.invalid", Port: 1, DNS: "local"},
			want: "Error: Failed to resolve host no-such-host.invalid locally."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Addr = fakeProxy(t, tt.handlers...)
			o.Timeout = testTimeout
			c, err := Dial(dialCtx(t), o)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial error %T %q; want an *Error containing %q", err, err, tt.want)
			}
		})
	}
}

// TestDialTimeout checks that -w bounds the handshake with a proxy that
// accepts and never answers, and with a proxy that never ends its headers.
func TestDialTimeout(t *testing.T) {
	hold := func(c net.Conn) error { io.Copy(io.Discard, c); return nil }
	partial := func(reply string) func(net.Conn) error {
		return func(c net.Conn) error {
			io.WriteString(c, reply)
			io.Copy(io.Discard, c)
			return nil
		}
	}
	partials := map[string]string{"http": "HTTP/1.0 200 OK\r\nX: 1\r\n", "socks4": "\x00\x5a\x00", "socks5": "\x05\x00\x05\x00\x00\x03\x09h"}
	for _, typ := range []string{"http", "socks4", "socks5"} {
		for name, h := range map[string]func(net.Conn) error{"silent": hold, "partial": partial(partials[typ])} {
			t.Run(typ+" "+name, func(t *testing.T) {
				addr := fakeProxy(t, h)
				_, err := Dial(dialCtx(t), Options{Type: typ, Addr: addr, Host: "127.0.0.1", Port: 1, Timeout: 100 * time.Millisecond})
				if err == nil || !strings.Contains(err.Error(), "TIMEOUT") {
					t.Fatalf("Dial = %v; want a TIMEOUT error", err)
				}
			})
		}
	}
}

// TestDialCancel checks that cancelling the context ends a handshake
// that has no timeout.
func TestDialCancel(t *testing.T) {
	addr := fakeProxy(t, func(c net.Conn) error { io.Copy(io.Discard, c); return nil })
	ctx, cancel := context.WithCancel(dialCtx(t))
	o := Options{Addr: addr, Host: "127.0.0.1", Port: 1}
	o.Logf = func(string, ...any) { cancel() } // once connected to the proxy
	_, err := Dial(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v; want context.Canceled", err)
	}
}

func TestDialProxyRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(dialCtx(t), Options{Addr: addr, Host: "127.0.0.1", Port: 1, Timeout: testTimeout})
	if err == nil || err.Error() != "Proxy connection failed: Connection refused." {
		t.Fatalf("Dial = %v", err)
	}
}

func TestDialProxyResolve(t *testing.T) {
	_, err := Dial(dialCtx(t), Options{Addr: "proxy.invalid", NoDNS: true, Host: "127.0.0.1", Port: 1})
	var re *transport.ResolveError
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), `Could not resolve proxy "proxy.invalid": `) {
		t.Fatalf("Dial = %v; want a resolve error naming the proxy", err)
	}
}

// TestDialSourcePort checks that -p binds the connection to the proxy.
func TestDialSourcePort(t *testing.T) {
	got := make(chan string, 1)
	addr := fakeProxy(t, func(c net.Conn) error {
		got <- c.RemoteAddr().String()
		return reply("CONNECT 127.0.0.1:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", false)(c)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c, err := Dial(dialCtx(t), Options{Addr: addr, Host: "127.0.0.1", Port: 1, SourceAddr: "127.0.0.1", SourcePort: src, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(src)); <-got != want {
		t.Errorf("proxy saw a client at a port other than %s", want)
	}
}

// TestDialIPv6Proxy reaches a proxy by a bracketed IPv6 literal.
func TestDialIPv6Proxy(t *testing.T) {
	addr := fakeProxyOn(t, "tcp6", "[::1]:0", reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n", true))
	if !strings.HasPrefix(addr, "[::1]:") {
		t.Fatalf("listening on %s", addr)
	}
	c, err := Dial(dialCtx(t), Options{Addr: addr, Host: "h.invalid", Port: 1, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "")
}

// forwarder is a working HTTP CONNECT proxy for one client: it answers
// 200 and relays to the address asked for.
func forwarder(c net.Conn) error {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "CONNECT" {
		return fmt.Errorf("bad request %q: %v", line, err)
	}
	if rest, err := br.ReadString('\n'); err != nil || rest != "\r\n" {
		return fmt.Errorf("bad request end %q: %v", rest, err)
	}
	up, err := net.Dial("tcp", f[1])
	if err != nil {
		io.WriteString(c, "HTTP/1.0 504 Gateway Timeout\r\n\r\n")
		return nil
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, br)
		up.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(c, up)
	c.(interface{ CloseWrite() error }).CloseWrite()
	<-done
	return nil
}

// TestDialChain goes through two proxies: a forwarding one, then a fake
// that checks it is asked for the destination.
func TestDialChain(t *testing.T) {
	last := fakeProxy(t, reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nhi", true))
	first := fakeProxy(t, forwarder)
	var lines []string
	o := Options{Addr: first + "," + last, Host: "h.invalid", Port: 1, Timeout: testTimeout,
		Logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }}
	c, err := Dial(dialCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "hi")
	for _, want := range []string{"Connected to proxy " + first, "Connected to proxy " + last} {
		if !slices.Contains(lines, want) {
			t.Errorf("-v lines %q lack %q", lines, want)
		}
	}
}

func TestDialChainFailures(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		return ln.Addr().String()
	}
	t.Run("first hop refuses", func(t *testing.T) {
		first := fakeProxy(t, reply("CONNECT 127.0.0.1:9 HTTP/1.0\r\n\r\n", "HTTP/1.0 403 Forbidden\r\n\r\n", false))
		_, err := Dial(dialCtx(t), Options{Addr: first + ",127.0.0.1:9", Host: "h.invalid", Port: 1, Timeout: testTimeout})
		if want := "Proxy chain, hop 1 (" + first + "): Proxy returned status code 403 (HTTP/1.0 403 Forbidden)."; err == nil || err.Error() != want {
			t.Fatalf("Dial = %v; want %s", err, want)
		}
	})
	t.Run("second hop refuses", func(t *testing.T) {
		last := fakeProxy(t, reply("CONNECT h.invalid:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 502 Bad Gateway\r\n\r\n", false))
		first := fakeProxy(t, forwarder)
		_, err := Dial(dialCtx(t), Options{Addr: first + "," + last, Host: "h.invalid", Port: 1, Timeout: testTimeout})
		if want := "Proxy chain, hop 2 (" + last + "): Proxy returned status code 502 (HTTP/1.0 502 Bad Gateway)."; err == nil || err.Error() != want {
			t.Fatalf("Dial = %v; want %s", err, want)
		}
	})
	t.Run("first hop down", func(t *testing.T) {
		first := refused(t)
		_, err := Dial(dialCtx(t), Options{Addr: first + ",127.0.0.1:9", Host: "h.invalid", Port: 1, Timeout: testTimeout})
		if want := "Proxy chain, hop 1 (" + first + "): Proxy connection failed: Connection refused."; err == nil || err.Error() != want {
			t.Fatalf("Dial = %v; want %s", err, want)
		}
	})
	t.Run("-n refuses a name in the chain", func(t *testing.T) {
		first := fakeProxy(t) // never reached
		_, err := Dial(dialCtx(t), Options{Addr: first + ",proxy.invalid", NoDNS: true, Host: "h.invalid", Port: 1, Timeout: testTimeout})
		var re *ResolveError
		if !errors.As(err, &re) || re.Proxy != "proxy.invalid" {
			t.Fatalf("Dial = %v; want a resolve error for proxy.invalid", err)
		}
	})
}
