package tlsx

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"strings"
)

// attrNames are OpenSSL's short names of the common name attributes.
var attrNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress",
}

// FormatName writes a distinguished name as OpenSSL's one-line form does,
// in certificate order: "C=US, O=Example, CN=example.com".
func FormatName(n pkix.Name) string {
	var parts []string
	for _, rdn := range n.ToRDNSequence() {
		for _, atv := range rdn {
			key, ok := attrNames[atv.Type.String()]
			if !ok {
				key = atv.Type.String()
			}
			parts = append(parts, fmt.Sprintf("%s=%v", key, atv.Value))
		}
	}
	return strings.Join(parts, ", ")
}

// Describe gives ncat's -v lines about a peer certificate: Subject,
// Issuer and the SHA-1 fingerprint.
func Describe(c *x509.Certificate) []string {
	return []string{
		"Subject: " + FormatName(c.Subject),
		"Issuer: " + FormatName(c.Issuer),
		"SHA-1 fingerprint: " + FingerprintSHA1(c.Raw),
	}
}
