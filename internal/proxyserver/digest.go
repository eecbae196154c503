package proxyserver

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Realm is the realm of gnc's HTTP proxy challenges.
const Realm = "gnc"

// Digest nonces: how long one is good for, and how many used nonces the
// server remembers at most (each is forgotten when it expires).
const (
	nonceLifetime = time.Minute
	maxNonces     = 1 << 16
)

// authResult is what checking a Proxy-Authorization header found.
type authResult int

const (
	authOK authResult = iota
	authMissing
	authBad
	authStale // a Digest nonce that has expired: the client may retry with a new one
)

// authenticator checks Basic and Digest (RFC 7616, qop=auth, MD5)
// credentials. Nonces are signed timestamps, so any server-issued nonce is
// recognised without state; each nonce's last nonce count is remembered
// until it expires, and a count not above it is a replay and refused.
type authenticator struct {
	user, pass string
	key        [32]byte // signs nonces
	now        func() time.Time

	mu   sync.Mutex
	used map[string]nonceUse
	// order holds the used nonces in the order they were first used,
	// which is the order they expire in, so expired ones are dropped
	// from its front.
	order []string
}

type nonceUse struct {
	nc      uint64
	expires time.Time
}

func newAuthenticator(creds string) *authenticator {
	a := &authenticator{used: make(map[string]nonceUse), now: time.Now}
	a.user, a.pass = splitUserPass(creds)
	rand.Read(a.key[:])
	return a
}

// challenges are the Proxy-Authenticate field values of a 407.
func (a *authenticator) challenges(stale bool) []string {
	d := fmt.Sprintf("Digest realm=%q, nonce=%q, qop=\"auth\", algorithm=MD5", Realm, a.newNonce())
	if stale {
		d += ", stale=true"
	}
	return []string{fmt.Sprintf("Basic realm=%q", Realm), d}
}

// newNonce is base64url(issue time || random || HMAC of both).
func (a *authenticator) newNonce() string {
	var b [8 + 8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(a.now().UnixNano()))
	rand.Read(b[8:16])
	copy(b[16:], a.sign(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *authenticator) sign(b []byte) []byte {
	m := hmac.New(sha256.New, a.key[:])
	m.Write(b)
	return m.Sum(nil)[:16]
}

// checkNonce says whether nonce is ours and whether it has expired.
func (a *authenticator) checkNonce(nonce string) (ours, expired bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 32 || !hmac.Equal(b[16:], a.sign(b[:16])) {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	return true, a.now().Sub(issued) > nonceLifetime || issued.After(a.now().Add(time.Minute))
}

// check verifies a Proxy-Authorization value for a request.
func (a *authenticator) check(method, target, value string, present bool) authResult {
	if !present {
		return authMissing
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(value), " ")
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return authBad
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if ok && a.equalCreds(user, pass) {
			return authOK
		}
		return authBad
	case "digest":
		params, err := parseAuthParams(rest)
		if err != nil {
			return authBad
		}
		return a.checkDigest(method, target, params)
	}
	return authBad
}

func (a *authenticator) equalCreds(user, pass string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(a.user))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(a.pass))
	return u&p == 1
}

func (a *authenticator) checkDigest(method, target string, p map[string]string) authResult {
	if p["username"] != a.user || p["realm"] != Realm || !digestURIMatches(target, p["uri"]) ||
		p["qop"] != "auth" || p["cnonce"] == "" {
		return authBad
	}
	if alg, ok := p["algorithm"]; ok && !strings.EqualFold(alg, "MD5") {
		return authBad
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil || len(p["nc"]) != 8 {
		return authBad
	}
	nonce := p["nonce"]
	ours, expired := a.checkNonce(nonce)
	if !ours {
		return authBad
	}
	ha1 := md5hex(a.user + ":" + Realm + ":" + a.pass)
	ha2 := md5hex(method + ":" + p["uri"])
	want := md5hex(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(p["response"])), []byte(want)) != 1 {
		return authBad
	}
	if expired {
		return authStale
	}
	if !a.useNonce(nonce, nc) {
		return authBad
	}
	return authOK
}

// useNonce records nc for nonce; it reports false for a count not above
// the last one seen (a replay) or when too many nonces are live.
func (a *authenticator) useNonce(nonce string, nc uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	u, seen := a.used[nonce]
	if seen && nc <= u.nc {
		return false
	}
	if !seen {
		for len(a.order) > 0 && now.After(a.used[a.order[0]].expires) {
			delete(a.used, a.order[0])
			a.order = a.order[1:]
		}
		if len(a.used) >= maxNonces {
			return false
		}
		u.expires = now.Add(nonceLifetime + time.Minute)
		a.order = append(a.order, nonce)
	}
	u.nc = nc
	a.used[nonce] = u
	return true
}

// digestURIMatches says whether a Digest uri names the request target: the
// target itself, or, for an absolute URI, its path.
func digestURIMatches(target, uri string) bool {
	if uri == target {
		return true
	}
	_, path, err := absoluteURI(target)
	return err == nil && uri == path
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseAuthParams parses a comma-separated list of name=value pairs
// (values tokens or quoted strings) as in a Digest credentials field.
// Names are lower-cased; a repeated name is an error.
func parseAuthParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return params, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("auth parameter without a value")
		}
		name := strings.ToLower(strings.TrimRight(s[:eq], " \t"))
		if !isToken(name) {
			return nil, fmt.Errorf("bad auth parameter name %q", name)
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var value string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			value, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			value, s = s[:end], s[end:]
			if !isToken(value) {
				return nil, fmt.Errorf("bad auth parameter value %q", value)
			}
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("repeated auth parameter %q", name)
		}
		params[name] = value
		s = strings.TrimLeft(s, " \t")
		if s != "" && s[0] != ',' {
			return nil, fmt.Errorf("junk after auth parameter %q", name)
		}
	}
}
