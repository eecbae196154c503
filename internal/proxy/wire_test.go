package proxy

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSplitAddr(t *testing.T) {
	tests := []struct {
		addr, typ string
		host      string
		port      int
		bad       bool
	}{
		{addr: "127.0.0.1", typ: "http", host: "127.0.0.1", port: 3128},
		{addr: "127.0.0.1", typ: "socks4", host: "127.0.0.1", port: 1080},
		{addr: "localhost", typ: "socks5", host: "localhost", port: 1080},
		{addr: "localhost:8080", typ: "http", host: "localhost", port: 8080},
		{addr: "[::1]:8080", typ: "http", host: "::1", port: 8080},
		{addr: "[::1]", typ: "socks5", host: "::1", port: 1080},
		{addr: "[fe80::1%lo]:1", typ: "http", host: "fe80::1%lo", port: 1},
		{addr: "::1", bad: true},
		{addr: "::1:8080", bad: true},
		{addr: "[::1", bad: true},
		{addr: "[::1]8080", bad: true},
		{addr: "[::1]:", bad: true},
		{addr: "[127.0.0.1]:80", bad: true},
		{addr: "[]:80", bad: true},
		{addr: "host:", bad: true},
		{addr: ":80", bad: true},
		{addr: "", bad: true},
		{addr: "host:http", bad: true},
		{addr: "host:0", bad: true},
		{addr: "host:65536", bad: true},
		{addr: "host:+80", bad: true},
		{addr: "host:65535", typ: "http", host: "host", port: 65535},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			host, port, err := SplitAddr(tt.addr, tt.typ)
			if tt.bad {
				var ae *AddrError
				if !errors.As(err, &ae) {
					t.Fatalf("SplitAddr(%q) = %q, %d, %v; want an *AddrError", tt.addr, host, port, err)
				}
				return
			}
			if err != nil || host != tt.host || port != tt.port {
				t.Fatalf("SplitAddr(%q) = %q, %d, %v; want %q, %d", tt.addr, host, port, err, tt.host, tt.port)
			}
		})
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSocks4Request(t *testing.T) {
	tests := []struct {
		name string
		t    target
		user string
		want string // hex
		bad  bool
	}{
		// The bytes ncat 7.93 sends for --proxy-auth u:p localhost 80.
		{name: "4a name", t: target{name: "localhost", port: 80}, user: "u:p", want: "04 01 0050 00000001 753a70 00 6c6f63616c686f7374 00"},
		{name: "ipv4", t: target{ip: netip.MustParseAddr("10.1.2.3"), port: 443}, want: "04 01 01bb 0a010203 00"},
		{name: "ipv6", t: target{ip: netip.MustParseAddr("::1"), port: 1}, bad: true},
		{name: "long user", t: target{name: "x", port: 1}, user: strings.Repeat("u", 256), bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := socks4Request(tt.t, tt.user)
			if tt.bad {
				if err == nil {
					t.Fatalf("socks4Request = % x; want an error", got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, unhex(t, tt.want)) {
				t.Fatalf("socks4Request = % x, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestSocks5Messages(t *testing.T) {
	if got := socks5Greeting(false); !bytes.Equal(got, []byte{5, 1, 0}) {
		t.Errorf("greeting without auth = % x", got)
	}
	// ncat 7.93 offers both methods when it has credentials.
	if got := socks5Greeting(true); !bytes.Equal(got, []byte{5, 2, 0, 2}) {
		t.Errorf("greeting with auth = % x", got)
	}
	up := []struct {
		auth, want string
		bad        bool
	}{
		{auth: "user:pass", want: "01 04 75736572 04 70617373"},
		{auth: "user", want: "01 04 75736572 00"},
		{auth: "u:p:q", want: "01 01 75 03 703a71"},
		{auth: ":p", bad: true},
		{auth: strings.Repeat("u", 256), bad: true},
		{auth: "u:" + strings.Repeat("p", 256), bad: true},
	}
	for _, tt := range up {
		got, err := socks5UserPassRequest(tt.auth)
		if tt.bad != (err != nil) || !tt.bad && !bytes.Equal(got, unhex(t, tt.want)) {
			t.Errorf("socks5UserPassRequest(%q) = % x, %v; want %s (error %v)", tt.auth, got, err, tt.want, tt.bad)
		}
	}
	reqs := []struct {
		name string
		t    target
		want string
		bad  bool
	}{
		{name: "name", t: target{name: "localhost", port: 80}, want: "05 01 00 03 09 6c6f63616c686f7374 0050"},
		{name: "ipv4", t: target{ip: netip.MustParseAddr("127.0.0.1"), port: 8080}, want: "05 01 00 01 7f000001 1f90"},
		{name: "ipv6", t: target{ip: netip.MustParseAddr("::1"), port: 65535}, want: "05 01 00 04 00000000000000000000000000000001 ffff"},
		{name: "long name", t: target{name: strings.Repeat("a", 256), port: 1}, bad: true},
	}
	for _, tt := range reqs {
		got, err := socks5Request(tt.t)
		if tt.bad != (err != nil) || !tt.bad && !bytes.Equal(got, unhex(t, tt.want)) {
			t.Errorf("%s: socks5Request = % x, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}

func TestParseSocks4Reply(t *testing.T) {
	tests := []struct {
		in   string
		code socks4Reply
		err  error
	}{
		{in: "00 5a 0000 00000000", code: 90},
		{in: "00 5b 0000 00000000", code: 91},
		{in: "00 5c 1234 7f000001", code: 92},
		{in: "04 5a 0000 00000000", err: errSocks4Version},
		{in: "00 5a 0000", err: io.ErrUnexpectedEOF},
		{in: "", err: io.EOF},
	}
	for _, tt := range tests {
		code, err := parseSocks4Reply(bytes.NewReader(unhex(t, tt.in)))
		if code != tt.code || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("parseSocks4Reply(%s) = %d, %v; want %d, %v", tt.in, code, err, tt.code, tt.err)
		}
	}
}

func TestParseSocks5Reply(t *testing.T) {
	tests := []struct {
		in   string
		code socks5Reply
		err  error
		left int // bytes after the reply that must stay unread
	}{
		{in: "05 00 00 01 7f000001 0050", code: 0},
		{in: "05 00 00 01 7f000001 0050 6869", code: 0, left: 2},
		{in: "05 00 00 04 00000000000000000000000000000001 0050", code: 0},
		{in: "05 00 00 03 04 686f7374 0050 ff", code: 0, left: 1},
		{in: "05 00 00 03 00 0050", code: 0},
		{in: "05 05 00 01 00000000 0000", code: 5},
		{in: "05 01 00 09", code: 1, err: errSocks5Atyp},
		{in: "05 00 00 09", code: 0, err: errSocks5Atyp},
		{in: "04 00 00 01 00000000 0000", err: errSocks5Version, left: 6},
		{in: "05 00 00 01 7f00", err: io.ErrUnexpectedEOF},
		{in: "05 00 00 03", err: io.ErrUnexpectedEOF},
		{in: "05 00", err: io.ErrUnexpectedEOF},
		{in: "", err: io.EOF},
	}
	for _, tt := range tests {
		r := bytes.NewReader(unhex(t, tt.in))
		code, err := parseSocks5Reply(r)
		if code != tt.code || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || r.Len() != tt.left {
			t.Errorf("parseSocks5Reply(%s) = %d, %v, %d left; want %d, %v, %d left", tt.in, code, err, r.Len(), tt.code, tt.err, tt.left)
		}
	}
}

func TestParseSocks5Method(t *testing.T) {
	tests := []struct {
		in     string
		method byte
		err    error
	}{
		{in: "05 00", method: 0},
		{in: "05 02", method: 2},
		{in: "05 ff", method: 0xff},
		{in: "04 00", err: errSocks5Version},
		{in: "05", err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		m, err := parseSocks5Method(bytes.NewReader(unhex(t, tt.in)))
		if m != tt.method || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("parseSocks5Method(%s) = %d, %v", tt.in, m, err)
		}
	}
	for in, want := range map[string]byte{"01 00": 0, "01 01": 1, "05 00": 0} {
		if s, err := parseUserPassReply(bytes.NewReader(unhex(t, in))); err != nil || s != want {
			t.Errorf("parseUserPassReply(%s) = %d, %v", in, s, err)
		}
	}
	if _, err := parseUserPassReply(bytes.NewReader(unhex(t, "02 00"))); !errors.Is(err, errSocks5Version) {
		t.Errorf("parseUserPassReply(02 00) = %v", err)
	}
}

func TestParseHTTPReply(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		code   int
		status string
		header map[string][]string
		rest   string
		err    error
	}{
		{name: "ncat 200", in: "HTTP/1.0 200 OK\r\n\r\n", code: 200, status: "HTTP/1.0 200 OK", header: map[string][]string{}},
		{name: "early bytes kept", in: "HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\nhello", code: 200,
			status: "HTTP/1.1 200 Connection established", header: map[string][]string{"Via": {"x"}}, rest: "hello"},
		{name: "bare LF", in: "HTTP/1.0 403 Forbidden\nA: 1\n\n", code: 403, status: "HTTP/1.0 403 Forbidden", header: map[string][]string{"A": {"1"}}},
		{name: "no reason", in: "HTTP/1.0 502\r\n\r\n", code: 502, status: "HTTP/1.0 502", header: map[string][]string{}},
		{name: "407 two challenges", in: "HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"Ncat\"\r\nproxy-authenticate: Digest realm=\"Ncat\", nonce=\"n\", qop=\"auth\"\r\n\r\n",
			code: 407, status: "HTTP/1.0 407 Proxy Authentication Required",
			header: map[string][]string{"Proxy-Authenticate": {`Basic realm="Ncat"`, `Digest realm="Ncat", nonce="n", qop="auth"`}}},
		{name: "folded line ignored", in: "HTTP/1.0 200 OK\r\nA: 1\r\n  more\r\n\r\n", code: 200, status: "HTTP/1.0 200 OK", header: map[string][]string{"A": {"1"}}},
		{name: "not http", in: "SSH-2.0-OpenSSH\r\n\r\n", err: errMalformed},
		{name: "bad code", in: "HTTP/1.0 20x OK\r\n\r\n", err: errMalformed},
		{name: "short code", in: "HTTP/1.0 20\r\n\r\n", err: errMalformed},
		{name: "bad header", in: "HTTP/1.0 200 OK\r\nno colon\r\n\r\n", err: errMalformed},
		{name: "space in name", in: "HTTP/1.0 200 OK\r\nA b: c\r\n\r\n", err: errMalformed},
		{name: "eof in status", in: "HTTP/1.0 200 OK", err: io.EOF},
		{name: "eof in headers", in: "HTTP/1.0 200 OK\r\nA: b\r\n", err: io.ErrUnexpectedEOF},
		{name: "empty", in: "", err: io.EOF},
		{name: "long line", in: "HTTP/1.0 200 " + strings.Repeat("x", maxLineBytes) + "\r\n\r\n", err: errTooLong},
		{name: "many headers", in: "HTTP/1.0 200 OK\r\n" + strings.Repeat("A: b\r\n", maxHeaderLines+1) + "\r\n", err: errTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), maxLineBytes)
			rep, err := parseHTTPReply(br)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("parseHTTPReply = %+v, %v; want %v", rep, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.code != tt.code || rep.statusLine() != tt.status {
				t.Errorf("code, status = %d, %q; want %d, %q", rep.code, rep.statusLine(), tt.code, tt.status)
			}
			if d := cmp.Diff(tt.header, map[string][]string(rep.header)); d != "" {
				t.Errorf("header (-want +got):\n%s", d)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tt.rest {
				t.Errorf("left in the reader: %q; want %q", rest, tt.rest)
			}
		})
	}
}

func TestStatusLineSanitised(t *testing.T) {
	rep := &httpReply{proto: "HTTP/1.0", code: 403, reason: "No\x1b[31m entry"}
	if got := rep.statusLine(); got != "HTTP/1.0 403 No?[31m entry" {
		t.Errorf("statusLine = %q", got)
	}
}

func TestConnectRequest(t *testing.T) {
	// The bytes ncat 7.93 sends.
	if got := string(connectRequest("localhost:80", "")); got != "CONNECT localhost:80 HTTP/1.0\r\n\r\n" {
		t.Errorf("got %q", got)
	}
	if got := string(connectRequest("[::1]:80", "Basic dTpw")); got != "CONNECT [::1]:80 HTTP/1.0\r\nProxy-Authorization: Basic dTpw\r\n\r\n" {
		t.Errorf("got %q", got)
	}
	if got := basicAuthorization("u:p"); got != "Basic dTpw" {
		t.Errorf("basicAuthorization = %q", got)
	}
}

func TestTargetHostPort(t *testing.T) {
	tests := map[string]target{
		"localhost:80":  {name: "localhost", port: 80},
		"127.0.0.1:443": {ip: netip.MustParseAddr("127.0.0.1"), name: "127.0.0.1", port: 443},
		"[::1]:8080":    {ip: netip.MustParseAddr("::1"), name: "::1", port: 8080},
	}
	for want, tg := range tests {
		if got := tg.hostPort(); got != want {
			t.Errorf("hostPort = %q; want %q", got, want)
		}
	}
}
