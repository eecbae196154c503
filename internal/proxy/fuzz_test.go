package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzParseHTTPReply checks that a proxy's HTTP reply never panics the
// parser, that a parsed reply has a 3-digit code, and that the parser
// never reads past the blank line ending the headers.
func FuzzParseHTTPReply(f *testing.F) {
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 Connection established\r\nVia: 1.1 squid\r\n\r\nSSH-2.0-x\r\n"))
	f.Add([]byte("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"Ncat\"\r\nProxy-Authenticate: Digest realm=\"Ncat\", nonce=\"1.2-ab\", qop=\"auth\"\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 502\n\n"))
	f.Add([]byte("HTTP/1.0 200 OK\r\n folded\r\n\r\n"))
	f.Add([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	f.Add([]byte("HTTP/1.0 999 \xff\x00\x1b[2J\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const marker = "\x00END-OF-TEST"
		br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(data), strings.NewReader(marker)), maxLineBytes)
		rep, err := parseHTTPReply(br)
		if err != nil {
			return
		}
		if rep.code < 100 || rep.code > 999 {
			t.Fatalf("code %d", rep.code)
		}
		if s := rep.statusLine(); len(s) > 200 || strings.ContainsAny(s, "\r\n\x1b") {
			t.Fatalf("status line not sanitised: %q", s)
		}
		rest, _ := io.ReadAll(br)
		if !bytes.HasSuffix(rest, []byte(marker)) {
			t.Fatalf("parser read past the headers: %q left", rest)
		}
	})
}

// FuzzParseChallenges checks that a Proxy-Authenticate header never panics
// the challenge parser or the answer built from it, and that the answer
// cannot break out of its header line.
func FuzzParseChallenges(f *testing.F) {
	f.Add(`Basic realm="Ncat"`, `Digest realm="Ncat", nonce="1795303348.551388-57411dae", qop="auth"`)
	f.Add(`Digest realm="a, b", nonce=xyz, qop="auth,auth-int", algorithm=SHA-256, Basic realm="r"`, ``)
	f.Add(`Negotiate abc==, Basic`, `DIGEST Realm = "a\"b\\c" ,  NONCE="n", opaque="o", algorithm=MD5-sess`)
	f.Add(`Digest realm="abc`, `,,,="`)
	f.Add("Digest nonce=\"a\r\nX-Evil: 1\"", `Digest nonce=n, algorithm="x\r\ny"`)
	f.Fuzz(func(t *testing.T, a, b string) {
		chs := parseChallenges([]string{a, b})
		if len(chs) > 32 {
			t.Fatalf("%d challenges", len(chs))
		}
		for _, c := range chs {
			if c.scheme == "" || len(c.params) > 32 {
				t.Fatalf("challenge %+v", c)
			}
		}
		got, err := authorize([]string{a, b}, "user:pa\"ss", "host:1", "0123456789abcdef")
		if err == nil && strings.ContainsAny(got, "\r\n") {
			t.Fatalf("authorization has a line break: %q", got)
		}
	})
}

// FuzzParseSocks4Reply checks that the SOCKS4 reply parser never panics
// and reads exactly 8 bytes of a good reply.
func FuzzParseSocks4Reply(f *testing.F) {
	f.Add([]byte("\x00\x5a\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x5b\x00\x00\x00\x00\x00\x00tail"))
	f.Add([]byte("\x04\x5a"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		_, err := parseSocks4Reply(r)
		if err == nil && r.Len() != len(data)-8 {
			t.Fatalf("read %d bytes", len(data)-r.Len())
		}
	})
}

// FuzzParseSocks5Reply checks that the SOCKS5 reply parsers never panic
// and never read past a well-formed reply.
func FuzzParseSocks5Reply(f *testing.F) {
	f.Add([]byte("\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x50"))
	f.Add([]byte("\x05\x00\x00\x03\x04host\x00\x50tail"))
	f.Add([]byte("\x05\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x50"))
	f.Add([]byte("\x05\x05\x00\x09"))
	f.Add([]byte("\x05\x00\x00\x03\xff"))
	f.Add([]byte("\x05"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		code, err := parseSocks5Reply(r)
		if err == nil {
			used := len(data) - r.Len()
			if used < 4+2 || data[0] != 5 || socks5Reply(data[1]) != code {
				t.Fatalf("accepted %q using %d bytes, code %d", data, used, code)
			}
		} else if errors.Is(err, io.EOF) && len(data) != 0 {
			t.Fatalf("clean EOF after %d bytes", len(data))
		}
		parseSocks5Method(bytes.NewReader(data))
		parseUserPassReply(bytes.NewReader(data))
	})
}

// FuzzSplitAddr checks that --proxy values never panic the splitter and
// that what it accepts has a host and a valid port.
func FuzzSplitAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "localhost:8080", "[::1]:1080", "[::1]", "::1", "[x]:1", "h:0", "h:99999", ":1", "[::1]:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := SplitAddr(s, "socks5")
		if err == nil && (host == "" || port < 1 || port > 65535) {
			t.Fatalf("SplitAddr(%q) = %q, %d", s, host, port)
		}
	})
}
