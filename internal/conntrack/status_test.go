package conntrack

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"gnc/internal/testnet"
)

func TestReadRequest(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		method, path string
		ok           bool
	}{
		{"curl", "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: curl\r\nAccept: */*\r\n\r\n", "GET", "/metrics", true},
		{"lf only", "GET /connections HTTP/1.0\n\n", "GET", "/connections", true},
		{"query", "HEAD /metrics?x=1 HTTP/1.1\r\n\r\n", "HEAD", "/metrics", true},
		{"post", "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "POST", "/", true},
		{"no end", "GET / HTTP/1.1\r\nHost: x\r\n", "", "", false},
		{"empty", "", "", "", false},
		{"http/0.9", "GET /\r\n\r\n", "", "", false},
		{"http/2", "GET / HTTP/2.0\r\n\r\n", "", "", false},
		{"absolute target", "GET http://x/ HTTP/1.1\r\n\r\n", "", "", false},
		{"lower method", "get / HTTP/1.1\r\n\r\n", "", "", false},
		{"extra space", "GET  / HTTP/1.1\r\n\r\n", "", "", false},
		{"bad header", "GET / HTTP/1.1\r\nno colon\r\n\r\n", "", "", false},
		{"space in name", "GET / HTTP/1.1\r\nA b: c\r\n\r\n", "", "", false},
		{"bare cr", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "", "", false},
		{"nul", "GET /\x00 HTTP/1.1\r\n\r\n", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, p, err := readRequest(bufio.NewReader(strings.NewReader(tc.in)))
			if (err == nil) != tc.ok || m != tc.method || p != tc.path {
				t.Errorf("readRequest(%q) = %q, %q, %v; want %q, %q, ok=%v", tc.in, m, p, err, tc.method, tc.path, tc.ok)
			}
		})
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	f.Add("HEAD /connections?a HTTP/1.0\n\n")
	f.Add("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		m, p, err := readRequest(bufio.NewReader(io.LimitReader(strings.NewReader(in), maxRequest)))
		if err != nil {
			if m != "" || p != "" {
				t.Fatalf("error %v with method %q path %q", err, m, p)
			}
			return
		}
		if m == "" || !strings.HasPrefix(p, "/") || strings.Contains(p, "?") || strings.ContainsAny(m+p, " \r\n\x00") {
			t.Fatalf("readRequest(%q) = %q, %q", in, m, p)
		}
	})
}

// exchange sends req to the endpoint at addr and returns the whole reply.
func exchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, req)
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeReplies(t *testing.T) {
	r := New()
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	addr := ln.Addr().String()

	// A client that connects and says nothing holds one slot, not the
	// server.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	for _, tc := range []struct{ name, req, head, body string }{
		{"head", "HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", ""},
		{"post", "POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed\r\n", "method not allowed\n"},
		{"garbage", "\x16\x03\x01 hello\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", "bad request\n"},
		{"unknown", "GET /x HTTP/1.0\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", "not found: try /connections or /metrics\n"},
		{"metrics", "GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "# HELP gnc_connections_accepted_total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, addr, tc.req)
			head, body, ok := strings.Cut(got, "\r\n\r\n")
			if !ok || !strings.HasPrefix(head+"\r\n", tc.head) || !strings.HasPrefix(body, tc.body) || (tc.body == "" && body != "") {
				t.Errorf("reply to %q:\n%q", tc.req, got)
			}
			if !strings.Contains(head, "\r\nConnection: close") {
				t.Errorf("no Connection: close in %q", head)
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
	// The idle client was cut off when Serve ended.
	if _, err := io.ReadAll(idle); err != nil {
		t.Errorf("idle client: %v", err)
	}
}
