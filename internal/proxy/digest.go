package proxy

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// challenge is one authentication challenge of a Proxy-Authenticate
// header: a scheme (lower case) and its parameters (names lower case).
type challenge struct {
	scheme string
	params map[string]string
}

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// splitList splits a header value at the commas outside quoted strings.
func splitList(v string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// leadingToken splits s into its leading token and the rest.
func leadingToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// parseParam parses "name=value" (value a token or quoted string); ok is
// false for anything else, such as a token68.
func parseParam(s string) (name, value string, ok bool) {
	name, rest := leadingToken(s)
	rest = strings.TrimLeft(rest, " \t")
	if name == "" || !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	if !strings.HasPrefix(rest, "\"") {
		value, rest = leadingToken(rest)
		return name, value, value != "" && strings.TrimSpace(rest) == ""
	}
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\' && i+1 < len(rest):
			i++
			b.WriteByte(rest[i])
		case c == '"':
			return name, b.String(), strings.TrimSpace(rest[i+1:]) == ""
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false // unterminated
}

// parseChallenges parses the values of Proxy-Authenticate headers (RFC
// 9110 §11.6.1): each may hold several comma-separated challenges, each a
// scheme followed by name=value parameters or a token68. Elements that
// cannot be parsed are skipped; at most 32 challenges of 32 parameters.
func parseChallenges(values []string) []challenge {
	var out []challenge
	var cur *challenge
	for _, v := range values {
		for _, el := range splitList(v) {
			el = strings.Trim(el, " \t")
			if el == "" {
				continue
			}
			if name, value, ok := parseParam(el); ok {
				if cur != nil && len(cur.params) < 32 {
					cur.params[strings.ToLower(name)] = value
				}
				continue
			}
			scheme, rest := leadingToken(el)
			if scheme == "" || rest != "" && rest[0] != ' ' && rest[0] != '\t' || len(out) >= 32 {
				cur = nil // junk, or too many: its parameters are dropped too
				continue
			}
			out = append(out, challenge{scheme: strings.ToLower(scheme), params: map[string]string{}})
			cur = &out[len(out)-1]
			if name, value, ok := parseParam(strings.TrimLeft(rest, " \t")); ok {
				cur.params[strings.ToLower(name)] = value
			}
			// Otherwise rest is empty or a token68, which no scheme gnc
			// answers uses.
		}
	}
	return out
}

// digestHash returns the hash named by a Digest algorithm parameter and
// whether it is a -sess variant; nil if gnc does not support it.
func digestHash(algorithm string) (func() hash.Hash, bool) {
	switch strings.ToUpper(algorithm) {
	case "", "MD5":
		return md5.New, false
	case "MD5-SESS":
		return md5.New, true
	case "SHA-256":
		return sha256.New, false
	case "SHA-256-SESS":
		return sha256.New, true
	}
	return nil, false
}

// digestQop says how to answer a challenge's qop list: "auth", "" (the
// RFC 2069 form, no qop offered), or ok=false when only auth-int is.
func digestQop(c challenge) (qop string, ok bool) {
	v, present := c.params["qop"]
	if !present {
		return "", true
	}
	for _, q := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(q), "auth") {
			return "auth", true
		}
	}
	return "", false
}

func usableDigest(c challenge) bool {
	if c.scheme != "digest" || c.params["nonce"] == "" {
		return false
	}
	h, _ := digestHash(c.params["algorithm"])
	_, ok := digestQop(c)
	return h != nil && ok
}

// authorize picks the strongest challenge gnc can answer (Digest, SHA-256
// before MD5, then Basic) and returns the Proxy-Authorization value.
func authorize(values []string, auth, uri, cnonce string) (string, error) {
	chs := parseChallenges(values)
	var best *challenge
	for i := range chs {
		c := &chs[i]
		if !usableDigest(*c) {
			continue
		}
		if best == nil || strings.HasPrefix(strings.ToUpper(c.params["algorithm"]), "SHA-256") && !strings.HasPrefix(strings.ToUpper(best.params["algorithm"]), "SHA-256") {
			best = c
		}
	}
	if best != nil {
		user, pass, _ := strings.Cut(auth, ":")
		return digestAuthorization(*best, user, pass, "CONNECT", uri, cnonce), nil
	}
	for _, c := range chs {
		if c.scheme == "basic" {
			return basicAuthorization(auth), nil
		}
	}
	if len(chs) == 0 {
		return "", errorf(nil, "Error getting Proxy-Authenticate challenge: the proxy's 407 reply has none.")
	}
	schemes := make([]string, 0, len(chs))
	for _, c := range chs {
		schemes = append(schemes, printable(c.scheme))
	}
	return "", errorf(nil, "Unknown authentication type: the proxy offers %s; gnc answers Basic and Digest (MD5, SHA-256, qop=auth).", strings.Join(schemes, ", "))
}

// digestAuthorization answers a Digest challenge (RFC 7616, RFC 2617) in
// the field order ncat uses.
func digestAuthorization(c challenge, user, pass, method, uri, cnonce string) string {
	newHash, sess := digestHash(c.params["algorithm"])
	h := func(parts ...string) string {
		d := newHash()
		d.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(d.Sum(nil))
	}
	realm, nonce := c.params["realm"], c.params["nonce"]
	qop, _ := digestQop(c)
	const nc = "00000001"
	ha1 := h(user, realm, pass)
	if sess {
		ha1 = h(ha1, nonce, cnonce)
	}
	ha2 := h(method, uri)
	var response string
	if qop == "" {
		response = h(ha1, nonce, ha2)
	} else {
		response = h(ha1, nonce, nc, cnonce, qop, ha2)
	}
	var b strings.Builder
	b.WriteString("Digest username=" + quote(user) + ", realm=" + quote(realm) + ", nonce=" + quote(nonce) + ", uri=" + quote(uri))
	if qop != "" {
		b.WriteString(", qop=" + qop + ", cnonce=" + quote(cnonce) + ", nc=" + nc)
	}
	b.WriteString(", response=" + quote(response))
	if v, ok := c.params["opaque"]; ok {
		b.WriteString(", opaque=" + quote(v))
	}
	if v, ok := c.params["algorithm"]; ok {
		b.WriteString(", algorithm=" + printableToken(v))
	}
	return b.String()
}

// quote makes a quoted-string; CR and LF cannot appear in one, so they
// become spaces (a header injection would need them).
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", " ", "\n", " ")
	return `"` + r.Replace(s) + `"`
}

func printableToken(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isTokenChar(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// newCnonce is a random client nonce: 16 hex digits, as ncat's.
func newCnonce() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
