package proxyserver

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// digestHeader computes a client's Digest credentials for a challenge.
func digestHeader(user, pass, nonce, method, uri, nc, cnonce string) string {
	ha1 := md5hex(user + ":" + Realm + ":" + pass)
	ha2 := md5hex(method + ":" + uri)
	resp := md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, cnonce=%q, nc=%s, qop=auth, response=%q, algorithm=MD5`,
		user, Realm, nonce, uri, cnonce, nc, resp)
}

// challengeNonce extracts the nonce of a Digest challenge.
func challengeNonce(t testing.TB, challenges []string) string {
	t.Helper()
	for _, c := range challenges {
		if rest, ok := strings.CutPrefix(c, "Digest "); ok {
			p, err := parseAuthParams(rest)
			if err != nil {
				t.Fatal(err)
			}
			return p["nonce"]
		}
	}
	t.Fatalf("no Digest challenge in %q", challenges)
	return ""
}

func TestBasicAuth(t *testing.T) {
	a := newAuthenticator("user:pa:ss")
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		value   string
		present bool
		want    authResult
	}{
		{basic("user:pa:ss"), true, authOK},
		{"basic  " + base64.StdEncoding.EncodeToString([]byte("user:pa:ss")), true, authOK},
		{basic("user:pa"), true, authBad},
		{basic("usex:pa:ss"), true, authBad},
		{basic("user"), true, authBad},
		{"Basic !!!", true, authBad},
		{"Bearer x", true, authBad},
		{"", true, authBad},
		{"", false, authMissing},
	}
	for _, tt := range tests {
		if got := a.check("GET", "http://h/", tt.value, tt.present); got != tt.want {
			t.Errorf("check(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestDigestAuth(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := newAuthenticator("u:p")
	a.now = func() time.Time { return now }
	nonce := challengeNonce(t, a.challenges(false))
	const target = "h:443"
	check := func(h string) authResult { return a.check("CONNECT", target, h, true) }

	if got := check(digestHeader("u", "p", nonce, "CONNECT", target, "00000001", "c1")); got != authOK {
		t.Fatalf("first use = %v, want authOK", got)
	}
	if got := check(digestHeader("u", "p", nonce, "CONNECT", target, "00000001", "c1")); got != authBad {
		t.Errorf("replayed nonce count = %v, want authBad", got)
	}
	if got := check(digestHeader("u", "p", nonce, "CONNECT", target, "00000001", "c2")); got != authBad {
		t.Errorf("same count, new cnonce = %v, want authBad", got)
	}
	if got := check(digestHeader("u", "p", nonce, "CONNECT", target, "00000002", "c3")); got != authOK {
		t.Errorf("next count = %v, want authOK", got)
	}
	for name, h := range map[string]string{
		"wrong password": digestHeader("u", "x", nonce, "CONNECT", target, "00000003", "c"),
		"wrong user":     digestHeader("v", "p", nonce, "CONNECT", target, "00000003", "c"),
		"wrong uri":      digestHeader("u", "p", nonce, "CONNECT", "other:443", "00000003", "c"),
		"forged nonce":   digestHeader("u", "p", base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "CONNECT", target, "00000001", "c"),
		"not base64":     digestHeader("u", "p", "*", "CONNECT", target, "00000001", "c"),
		"short nc":       digestHeader("u", "p", nonce, "CONNECT", target, "3", "c"),
		"no qop":         strings.Replace(digestHeader("u", "p", nonce, "CONNECT", target, "00000003", "c"), "qop=auth, ", "", 1),
		"sha-256":        strings.Replace(digestHeader("u", "p", nonce, "CONNECT", target, "00000003", "c"), "algorithm=MD5", "algorithm=SHA-256", 1),
		"unparsable":     `Digest username="u`,
	} {
		if got := check(h); got != authBad {
			t.Errorf("%s: %v, want authBad", name, got)
		}
	}
	now = now.Add(nonceLifetime + time.Second)
	if got := check(digestHeader("u", "p", nonce, "CONNECT", target, "00000009", "c")); got != authStale {
		t.Errorf("expired nonce = %v, want authStale", got)
	}
	if !strings.Contains(a.challenges(true)[1], "stale=true") {
		t.Errorf("stale challenge %q lacks stale=true", a.challenges(true)[1])
	}
	fresh := challengeNonce(t, a.challenges(false))
	if got := check(digestHeader("u", "p", fresh, "CONNECT", target, "00000001", "c")); got != authOK {
		t.Errorf("fresh nonce after expiry = %v, want authOK", got)
	}
}

// TestDigestURIForms accepts the absolute URI and its path as the uri of
// a forwarded GET: clients send either.
func TestDigestURIForms(t *testing.T) {
	a := newAuthenticator("u:p")
	nonce := challengeNonce(t, a.challenges(false))
	for i, uri := range []string{"http://h/x?y", "/x?y"} {
		nc := fmt.Sprintf("%08x", i+1)
		if got := a.check("GET", "http://h/x?y", digestHeader("u", "p", nonce, "GET", uri, nc, "c"), true); got != authOK {
			t.Errorf("uri %q: %v, want authOK", uri, got)
		}
	}
}

// TestNonceTableBounded checks that expired nonces are forgotten and the
// table never grows past maxNonces.
func TestNonceTableBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := newAuthenticator("u:p")
	a.now = func() time.Time { return now }
	for i := range maxNonces {
		if !a.useNonce(fmt.Sprint(i), 1) {
			t.Fatalf("nonce %d refused below the bound", i)
		}
	}
	if a.useNonce("one too many", 1) {
		t.Fatal("a live nonce past the bound was accepted")
	}
	now = now.Add(3 * nonceLifetime)
	if !a.useNonce("after expiry", 1) {
		t.Fatal("table not swept after the nonces expired")
	}
	if n := len(a.used); n != 1 {
		t.Errorf("%d nonces remembered after the sweep, want 1", n)
	}
}

func TestParseAuthParams(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{`a=b, C="d, e", f="g\"h"`, map[string]string{"a": "b", "c": "d, e", "f": `g"h`}, false},
		{` , a = "b" ,`, map[string]string{"a": "b"}, false},
		{``, map[string]string{}, false},
		{`a`, nil, true},
		{`a="b`, nil, true},
		{`a=b c=d`, nil, true},
		{`a=b, a=c`, nil, true},
		{`=b`, nil, true},
		{`a=b"c`, nil, true},
	}
	for _, tt := range tests {
		got, err := parseAuthParams(tt.in)
		if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) && !tt.err {
			t.Errorf("parseAuthParams(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzAuthorization checks that no Proxy-Authorization value panics the
// authenticator or is accepted without the password.
func FuzzAuthorization(f *testing.F) {
	a := newAuthenticator("u:p")
	nonce := a.newNonce()
	f.Add("Basic dTpw")
	f.Add("Basic dTp4")
	f.Add(digestHeader("u", "x", nonce, "CONNECT", "h:1", "00000001", "c"))
	f.Add(`Digest username="u", nc=zz, uri="h:1"`)
	f.Add(`Digest a="\`)
	f.Fuzz(func(t *testing.T, v string) {
		res := a.check("CONNECT", "h:1", v, true)
		if res == authOK && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "basic") {
			t.Fatalf("accepted %q without knowing the password", v)
		}
	})
}
