package proxyserver

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *request
		err  bool
		rest string // what stays buffered after the head
	}{
		{name: "connect", in: "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\nearly", rest: "early",
			want: &request{method: "CONNECT", target: "h:443", proto: "HTTP/1.1", header: []field{{"Host", "h:443"}}}},
		{name: "bare LF and spaces trimmed", in: "GET http://x/ HTTP/1.0\nA:  b \n\n",
			want: &request{method: "GET", target: "http://x/", proto: "HTTP/1.0", header: []field{{"A", "b"}}}},
		{name: "empty value", in: "GET http://x/ HTTP/1.0\r\nA:\r\n\r\n",
			want: &request{method: "GET", target: "http://x/", proto: "HTTP/1.0", header: []field{{"A", ""}}}},
		{name: "no protocol", in: "GET http://x/\r\n\r\n", err: true},
		{name: "HTTP/2", in: "GET http://x/ HTTP/2.0\r\n\r\n", err: true},
		{name: "two spaces", in: "GET  http://x/ HTTP/1.0\r\n\r\n", err: true},
		{name: "bad method", in: "G(T http://x/ HTTP/1.0\r\n\r\n", err: true},
		{name: "header without colon", in: "GET http://x/ HTTP/1.0\r\nnocolon\r\n\r\n", err: true},
		{name: "space before colon", in: "GET http://x/ HTTP/1.0\r\nA : b\r\n\r\n", err: true},
		{name: "obs-fold", in: "GET http://x/ HTTP/1.0\r\nA: b\r\n c\r\n\r\n", err: true},
		{name: "NUL", in: "GET http://x/ HTTP/1.0\r\nA: b\x00\r\n\r\n", err: true},
		{name: "truncated", in: "GET http://x/ HTTP/1.0\r\nA: b\r\n", err: true},
		{name: "empty", in: "", err: true},
		{name: "long line", in: "GET http://x/" + strings.Repeat("a", maxLineBytes) + " HTTP/1.0\r\n\r\n", err: true},
		{name: "too many fields", in: "GET http://x/ HTTP/1.0\r\n" + strings.Repeat("A: b\r\n", maxHeaderLines+1) + "\r\n", err: true},
		{name: "head too large", in: "GET http://x/ HTTP/1.0\r\n" + strings.Repeat("A: "+strings.Repeat("b", 4000)+"\r\n", 20) + "\r\n", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 4096)
			got, err := readRequest(br)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(request{}, field{})); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			rest := make([]byte, br.Buffered())
			br.Read(rest)
			if string(rest) != tt.rest {
				t.Errorf("left %q buffered, want %q", rest, tt.rest)
			}
		})
	}
}

func TestPersistent(t *testing.T) {
	for _, tc := range []struct {
		proto  string
		header []field
		want   bool
	}{
		{"HTTP/1.1", nil, true},
		{"HTTP/1.0", nil, false},
		{"HTTP/1.1", []field{{"Connection", "close"}}, false},
		{"HTTP/1.1", []field{{"proxy-connection", "Close"}}, false},
		{"HTTP/1.1", []field{{"Connection", "Upgrade, close"}}, false},
		{"HTTP/1.0", []field{{"Connection", "keep-alive"}}, true},
		{"HTTP/1.0", []field{{"Proxy-Connection", "Keep-Alive"}}, true},
		{"HTTP/1.0", []field{{"Connection", "keep-alive"}, {"Proxy-Connection", "close"}}, false},
		{"HTTP/1.0", []field{{"Keep-Alive", "300"}}, false},
		{"HTTP/1.1", []field{{"Connection", "keep-alive"}}, true},
	} {
		r := &request{method: "CONNECT", target: "h:1", proto: tc.proto, header: tc.header}
		if got := r.persistent(); got != tc.want {
			t.Errorf("%s %v: persistent() = %v, want %v", tc.proto, tc.header, got, tc.want)
		}
	}
}

func TestHeadTooLarge(t *testing.T) {
	in := "GET http://x/ HTTP/1.0\r\n" + strings.Repeat("A: "+strings.Repeat("b", 4000)+"\r\n", 20) + "\r\n"
	_, err := readRequest(bufio.NewReader(strings.NewReader(in)))
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("err = %v, want errHeadTooLarge", err)
	}
}

func TestSplitAuthority(t *testing.T) {
	tests := []struct {
		in      string
		defPort int
		host    string
		port    int
		err     bool
	}{
		{"h:443", 0, "h", 443, false},
		{"[::1]:80", 0, "::1", 80, false},
		{"1.2.3.4:1", 0, "1.2.3.4", 1, false},
		{"h", 0, "", 0, true},
		{"h", 80, "h", 80, false},
		{"[::1]", 80, "::1", 80, false},
		{"h:", 0, "", 0, true},
		{"h:0", 0, "", 0, true},
		{"h:65536", 0, "", 0, true},
		{"h:+80", 0, "", 0, true},
		{":80", 0, "", 0, true},
		{"u@h:80", 0, "", 0, true},
		{"h:80/x", 0, "", 0, true},
		{"", 80, "", 0, true},
	}
	for _, tt := range tests {
		host, port, err := splitAuthority(tt.in, tt.defPort)
		if (err != nil) != tt.err || host != tt.host || port != tt.port {
			t.Errorf("splitAuthority(%q, %d) = %q, %d, %v; want %q, %d, error %v", tt.in, tt.defPort, host, port, err, tt.host, tt.port, tt.err)
		}
	}
}

func TestAbsoluteURI(t *testing.T) {
	tests := []struct {
		in, authority, path string
		err                 bool
	}{
		{"http://h/a/b?q=1", "h", "/a/b?q=1", false},
		{"HTTP://h:8080", "h:8080", "/", false},
		{"http://h?q", "h", "/?q", false},
		{"http://h/x#frag", "h", "/x", false},
		{"http://[::1]:81/", "[::1]:81", "/", false},
		{"/relative", "", "", true},
		{"https://h/", "", "", true},
		{"h:80", "", "", true},
	}
	for _, tt := range tests {
		a, p, err := absoluteURI(tt.in)
		if (err != nil) != tt.err || a != tt.authority || p != tt.path {
			t.Errorf("absoluteURI(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, a, p, err, tt.authority, tt.path, tt.err)
		}
	}
}

func TestForwardHead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		head string
		body int64
		err  bool
	}{
		{name: "get", in: "GET http://h:81/p?q HTTP/1.1\r\nHost: other\r\nUser-Agent: t\r\nProxy-Connection: Keep-Alive\r\nProxy-Authorization: Basic x\r\n\r\n",
			head: "GET /p?q HTTP/1.0\r\nHost: h:81\r\nUser-Agent: t\r\nConnection: close\r\n\r\n"},
		{name: "connection-named fields dropped", in: "HEAD http://h HTTP/1.1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Keep: 2\r\n\r\n",
			head: "HEAD / HTTP/1.0\r\nHost: h\r\nX-Keep: 2\r\nConnection: close\r\n\r\n"},
		{name: "post", in: "POST http://h/f HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
			head: "POST /f HTTP/1.0\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", body: 5},
		{name: "post without length", in: "POST http://h/f HTTP/1.1\r\n\r\n", err: true},
		{name: "chunked", in: "POST http://h/f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", err: true},
		{name: "two lengths", in: "POST http://h/f HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", err: true},
		{name: "bad length", in: "POST http://h/f HTTP/1.1\r\nContent-Length: -1\r\n\r\n", err: true},
		{name: "relative", in: "GET /x HTTP/1.1\r\n\r\n", err: true},
		{name: "bad port", in: "GET http://h:99999/ HTTP/1.1\r\n\r\n", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := readRequest(bufio.NewReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			head, body, err := forwardHead(req)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if head != tt.head || body != tt.body {
				t.Errorf("got %q, %d; want %q, %d", head, body, tt.head, tt.body)
			}
		})
	}
}

// FuzzReadRequest checks that no input panics the request parser, and
// that a request it accepts has a token method and a forwardable head or
// a clear error.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
		"GET http://h/p HTTP/1.0\r\nA: b\r\n\r\n",
		"POST http://h/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		"POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://[::1]:80/ HTTP/1.1\r\nConnection: a, b\r\n\r\n",
		"BREW / HTTP/1.1\r\n\r\n",
		"\r\n\r\n",
		"GET http://h/ HTTP/1.0\r\n x\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		req, err := readRequest(bufio.NewReader(strings.NewReader(in)))
		if err != nil {
			return
		}
		if !isToken(req.method) {
			t.Fatalf("accepted method %q", req.method)
		}
		head, _, err := forwardHead(req)
		if err == nil && (!strings.HasSuffix(head, "Connection: close\r\n\r\n") || strings.Count(head, "\r\n\r\n") != 1) {
			t.Fatalf("bad forwarded head %q", head)
		}
		splitAuthority(req.target, 0)
	})
}
