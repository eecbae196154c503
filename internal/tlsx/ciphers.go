package tlsx

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// suite is one TLS 1.2 cipher suite Go implements, with its OpenSSL name
// and the OpenSSL aliases that select it.
type suite struct {
	name string // OpenSSL's name
	id   uint16
	tags []string
}

// suites are the TLS 1.0-1.2 suites of crypto/tls (secure, then those Go
// calls insecure), named as OpenSSL names them.
var suites = []suite{
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, []string{"kECDHE", "aECDSA", "AES128", "AESGCM", "SHA256", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, []string{"kECDHE", "aRSA", "AES128", "AESGCM", "SHA256", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, []string{"kECDHE", "aECDSA", "AES256", "AESGCM", "SHA384", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, []string{"kECDHE", "aRSA", "AES256", "AESGCM", "SHA384", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, []string{"kECDHE", "aECDSA", "CHACHA20", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, []string{"kECDHE", "aRSA", "CHACHA20", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, []string{"kECDHE", "aECDSA", "AES128", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, []string{"kECDHE", "aRSA", "AES128", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, []string{"kECDHE", "aECDSA", "AES256", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, []string{"kECDHE", "aRSA", "AES256", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, []string{"kRSA", "aRSA", "AES128", "AESGCM", "SHA256", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, []string{"kRSA", "aRSA", "AES256", "AESGCM", "SHA384", "HIGH", "TLSv1.2", "DEFAULT"}},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, []string{"kRSA", "aRSA", "AES128", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, []string{"kRSA", "aRSA", "AES256", "SHA1", "HIGH", "TLSv1", "DEFAULT"}},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, []string{"kECDHE", "aECDSA", "AES128", "SHA256", "HIGH", "TLSv1.2"}},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, []string{"kECDHE", "aRSA", "AES128", "SHA256", "HIGH", "TLSv1.2"}},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, []string{"kRSA", "aRSA", "AES128", "SHA256", "HIGH", "TLSv1.2"}},
	{"ECDHE-RSA-DES-CBC3-SHA", tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, []string{"kECDHE", "aRSA", "3DES", "SHA1", "MEDIUM", "TLSv1"}},
	{"DES-CBC3-SHA", tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, []string{"kRSA", "aRSA", "3DES", "SHA1", "MEDIUM", "TLSv1"}},
	{"ECDHE-ECDSA-RC4-SHA", tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, []string{"kECDHE", "aECDSA", "RC4", "SHA1", "MEDIUM", "TLSv1"}},
	{"ECDHE-RSA-RC4-SHA", tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, []string{"kECDHE", "aRSA", "RC4", "SHA1", "MEDIUM", "TLSv1"}},
	{"RC4-SHA", tls.TLS_RSA_WITH_RC4_128_SHA, []string{"kRSA", "aRSA", "RC4", "SHA1", "MEDIUM", "TLSv1"}},
}

// aliasTags maps OpenSSL aliases to the tag they stand for; "" selects
// every suite (ALL), and "-" none (an alias Go has no suite for, such as
// aNULL or DHE, which is fine to remove and selects nothing when added).
var aliasTags = map[string]string{
	"ALL": "", "DEFAULT": "DEFAULT", "HIGH": "HIGH", "MEDIUM": "MEDIUM",
	"kECDHE": "kECDHE", "kEECDH": "kECDHE", "ECDHE": "kECDHE", "EECDH": "kECDHE", "ECDH": "kECDHE",
	"kRSA": "kRSA", "RSA": "kRSA", "aRSA": "aRSA", "aECDSA": "aECDSA", "ECDSA": "aECDSA",
	"AES": "", "AES128": "AES128", "AES256": "AES256", "AESGCM": "AESGCM", "CHACHA20": "CHACHA20",
	"3DES": "3DES", "RC4": "RC4", "SHA1": "SHA1", "SHA": "SHA1", "SHA256": "SHA256", "SHA384": "SHA384",
	"TLSv1.2": "TLSv1.2", "TLSv1": "TLSv1", "SSLv3": "TLSv1", "TLSv1.0": "TLSv1",
	"COMPLEMENTOFDEFAULT": "-insecure",
	// Known to OpenSSL, nothing in Go's TLS.
	"aNULL": "-", "eNULL": "-", "NULL": "-", "ADH": "-", "AECDH": "-", "EXP": "-", "EXPORT": "-",
	"LOW": "-", "MD5": "-", "DES": "-", "IDEA": "-", "SEED": "-", "CAMELLIA": "-", "CAMELLIA128": "-",
	"CAMELLIA256": "-", "ARIA": "-", "ARIA128": "-", "ARIA256": "-", "PSK": "-", "aPSK": "-", "kPSK": "-",
	"SRP": "-", "kSRP": "-", "DSS": "-", "aDSS": "-", "DH": "-", "kDH": "-", "DHE": "-", "EDH": "-",
	"kDHE": "-", "kEDH": "-", "AESCCM": "-", "AESCCM8": "-", "CCM": "-", "GOST": "-", "COMPLEMENTOFALL": "-",
	"ECDHEPSK": "-", "DHEPSK": "-", "RSAPSK": "-", "eGOST": "-", "aGOST": "-",
}

func (s suite) has(tag string) bool {
	switch tag {
	case "":
		return true
	case "-":
		return false
	case "-insecure":
		return !slices.Contains(s.tags, "DEFAULT")
	}
	return slices.Contains(s.tags, tag)
}

// matcher turns one word of a cipher string ("ECDHE+AESGCM", "AES128-SHA")
// into a test on suites.
func matcher(word string) (func(suite) bool, error) {
	if strings.HasPrefix(word, "TLS_") {
		return nil, fmt.Errorf("%s is a TLS 1.3 suite: --ssl-ciphers sets TLS 1.2 and older suites only, and Go always enables every TLS 1.3 suite", word)
	}
	for _, s := range suites {
		if s.name == word {
			id := s.id
			return func(s suite) bool { return s.id == id }, nil
		}
	}
	var tags []string
	for part := range strings.SplitSeq(word, "+") {
		tag, ok := aliasTags[part]
		if !ok {
			if strings.Contains(part, "-") {
				return nil, fmt.Errorf("cipher %q is unknown or not available in Go's TLS", part)
			}
			return nil, fmt.Errorf("unknown cipher alias %q", part)
		}
		tags = append(tags, tag)
	}
	return func(s suite) bool {
		for _, t := range tags {
			if !s.has(t) {
				return false
			}
		}
		return true
	}, nil
}

// ParseCiphers maps an OpenSSL cipher string (such as ncat's default
// "ALL:!aNULL:!eNULL:!LOW:!EXP:!RC4:!MD5:@STRENGTH") onto Go's TLS 1.2
// suites. Words are separated by ':', ',' or spaces; a word is a cipher
// name or aliases joined by '+', optionally prefixed by '!' (remove for
// good), '-' (remove) or '+' (move to the end: Go orders suites itself, so
// this changes nothing). "@STRENGTH" and "@SECLEVEL=n" are accepted and
// change nothing. A cipher named alone that Go lacks, an unknown word, or
// a string that selects no suite is an error.
func ParseCiphers(s string) ([]uint16, error) {
	var chosen []uint16
	banned := map[uint16]bool{}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
	for _, w := range words {
		if w == "@STRENGTH" || strings.HasPrefix(w, "@SECLEVEL=") {
			continue
		}
		op := byte(0)
		if w[0] == '!' || w[0] == '-' || w[0] == '+' {
			op, w = w[0], w[1:]
		}
		if w == "" || strings.HasPrefix(w, "@") {
			return nil, fmt.Errorf("invalid cipher string word %q", w)
		}
		match, err := matcher(w)
		if err != nil {
			return nil, err
		}
		switch op {
		case '!':
			for _, st := range suites {
				if match(st) {
					banned[st.id] = true
				}
			}
			chosen = slices.DeleteFunc(chosen, func(id uint16) bool { return banned[id] })
		case '-':
			chosen = slices.DeleteFunc(chosen, func(id uint16) bool { return match(suiteByID(id)) })
		case '+':
			// Ordering only.
		default:
			for _, st := range suites {
				if match(st) && !banned[st.id] && !slices.Contains(chosen, st.id) {
					chosen = append(chosen, st.id)
				}
			}
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("cipher list %q selects no cipher suite that Go's TLS supports", s)
	}
	return chosen, nil
}

func suiteByID(id uint16) suite {
	for _, s := range suites {
		if s.id == id {
			return s
		}
	}
	return suite{}
}

// SuiteName is the OpenSSL name of a suite ID, or Go's name for suites
// OpenSSL's string cannot choose (TLS 1.3).
func SuiteName(id uint16) string {
	if s := suiteByID(id); s.name != "" {
		return s.name
	}
	return tls.CipherSuiteName(id)
}
