package proxy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseChallenges(t *testing.T) {
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		values []string
		want   []challenge
	}{
		{name: "ncat", values: []string{`Basic realm="Ncat"`, `Digest realm="Ncat", nonce="1795303348.551388-57411dae", qop="auth"`},
			want: []challenge{{"basic", p("realm", "Ncat")}, {"digest", p("realm", "Ncat", "nonce", "1795303348.551388-57411dae", "qop", "auth")}}},
		{name: "two in one header", values: []string{`Digest realm="a, b", nonce=xyz, qop="auth,auth-int", algorithm=SHA-256, Basic realm="r"`},
			want: []challenge{{"digest", p("realm", "a, b", "nonce", "xyz", "qop", "auth,auth-int", "algorithm", "SHA-256")}, {"basic", p("realm", "r")}}},
		{name: "escapes and spaces", values: []string{`DIGEST Realm = "a\"b\\c" ,  NONCE="n"`},
			want: []challenge{{"digest", p("realm", `a"b\c`, "nonce", "n")}}},
		{name: "token68", values: []string{`Negotiate abc==, Basic realm=x`},
			want: []challenge{{"negotiate", p()}, {"basic", p("realm", "x")}}},
		{name: "bare scheme", values: []string{`Basic`}, want: []challenge{{"basic", p()}}},
		{name: "param before scheme dropped", values: []string{`realm="x", Basic`}, want: []challenge{{"basic", p()}}},
		{name: "unterminated quote", values: []string{`Digest realm="abc`}, want: []challenge{{"digest", p()}}},
		{name: "junk", values: []string{`@@@, "x"`, ``}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseChallenges(tt.values)
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(challenge{})); d != "" {
				t.Errorf("parseChallenges(%q) (-want +got):\n%s", tt.values, d)
			}
		})
	}
}

// TestDigestResponse checks the response against published vectors and one
// exchange recorded between ncat 7.93's client and its proxy server.
func TestDigestResponse(t *testing.T) {
	tests := []struct {
		name                          string
		params                        map[string]string
		user, pass, method, uri, cnon string
		response                      string
	}{
		{name: "ncat 7.93", params: map[string]string{"realm": "Ncat", "nonce": "1795303348.551388-57411dae3b962384f17f00d4978a9590", "qop": "auth"},
			user: "u", pass: "p", method: "CONNECT", uri: "127.0.0.1:24113", cnon: "9e1ed2594250269f", response: "d137b391d729597bc436f5d8035d8a79"},
		{name: "RFC 2617", params: map[string]string{"realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "qop": "auth,auth-int"},
			user: "Mufasa", pass: "Circle Of Life", method: "GET", uri: "/dir/index.html", cnon: "0a4f113b", response: "6629fae49393a05397450978507c4ef1"},
		{name: "RFC 7616 MD5", params: map[string]string{"realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "qop": "auth", "algorithm": "MD5"},
			user: "Mufasa", pass: "Circle of Life", method: "GET", uri: "/dir/index.html", cnon: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", response: "8ca523f5e9506fed4657c9700eebdbec"},
		{name: "RFC 7616 SHA-256", params: map[string]string{"realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "qop": "auth", "algorithm": "SHA-256"},
			user: "Mufasa", pass: "Circle of Life", method: "GET", uri: "/dir/index.html", cnon: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := digestAuthorization(challenge{"digest", tt.params}, tt.user, tt.pass, tt.method, tt.uri, tt.cnon)
			if !strings.Contains(got, `response="`+tt.response+`"`) {
				t.Errorf("digestAuthorization = %s\nwant response=%q", got, tt.response)
			}
		})
	}
}

func TestDigestHeaderLikeNcat(t *testing.T) {
	c := challenge{"digest", map[string]string{"realm": "Ncat", "nonce": "1795303348.551388-57411dae3b962384f17f00d4978a9590", "qop": "auth"}}
	got := digestAuthorization(c, "u", "p", "CONNECT", "127.0.0.1:24113", "9e1ed2594250269f")
	// Recorded from ncat 7.93 --proxy-auth u:p through ncat -l --proxy-type http.
	want := `Digest username="u", realm="Ncat", nonce="1795303348.551388-57411dae3b962384f17f00d4978a9590", uri="127.0.0.1:24113", qop=auth, cnonce="9e1ed2594250269f", nc=00000001, response="d137b391d729597bc436f5d8035d8a79"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c = challenge{"digest", map[string]string{"realm": "r", "nonce": "n", "opaque": "o", "algorithm": "MD5-sess", "qop": "auth"}}
	got = digestAuthorization(c, `a"b`, "p", "CONNECT", "h:1", "c")
	for _, part := range []string{`username="a\"b"`, `opaque="o"`, `algorithm=MD5-sess`} {
		if !strings.Contains(got, part) {
			t.Errorf("%s lacks %s", got, part)
		}
	}
	// No qop offered: the RFC 2069 form, without qop, cnonce and nc.
	got = digestAuthorization(challenge{"digest", map[string]string{"realm": "r", "nonce": "n"}}, "u", "p", "CONNECT", "h:1", "c")
	if strings.Contains(got, "qop=") || strings.Contains(got, "cnonce=") {
		t.Errorf("RFC 2069 form has qop: %s", got)
	}
}

func TestAuthorizeChoice(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		prefix string // of the answer; "" = an error
	}{
		{name: "digest preferred", values: []string{`Basic realm="Ncat"`, `Digest realm="Ncat", nonce="n", qop="auth"`}, prefix: `Digest username="u"`},
		{name: "sha-256 preferred", values: []string{`Digest realm="r", nonce="n", algorithm=MD5`, `Digest realm="r", nonce="m", algorithm=SHA-256`}, prefix: `Digest username="u", realm="r", nonce="m"`},
		{name: "basic only", values: []string{`Basic realm="x"`}, prefix: "Basic dTpw"},
		{name: "auth-int only falls back", values: []string{`Digest realm="r", nonce="n", qop="auth-int"`, `Basic realm="x"`}, prefix: "Basic "},
		{name: "unknown algorithm falls back", values: []string{`Digest realm="r", nonce="n", algorithm=SHA-512-256`, `Basic`}, prefix: "Basic "},
		{name: "digest without nonce", values: []string{`Digest realm="r"`}},
		{name: "unknown scheme", values: []string{`NTLM`}},
		{name: "none", values: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authorize(tt.values, "u:p", "h:1", "c")
			if tt.prefix == "" {
				if err == nil {
					t.Fatalf("authorize = %q; want an error", got)
				}
				return
			}
			if err != nil || !strings.HasPrefix(got, tt.prefix) {
				t.Fatalf("authorize = %q, %v; want prefix %q", got, err, tt.prefix)
			}
		})
	}
}

func TestQuoteNoHeaderInjection(t *testing.T) {
	if got := quote("a\r\nX-Evil: 1"); strings.ContainsAny(got, "\r\n") {
		t.Errorf("quote kept a line break: %q", got)
	}
}
