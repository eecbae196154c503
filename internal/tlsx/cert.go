package tlsx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// certLifetime is how long a throwaway certificate is valid, as ncat's.
const certLifetime = 365 * 24 * time.Hour

// GenerateCert makes the throwaway certificate of a listener without
// --ssl-cert: a fresh ECDSA P-256 key, self-signed with SHA-256, a random
// serial, valid from now for a year. Its CN and subject alternative name
// are host (the listen address argument), or "localhost" when host is "";
// an IP address becomes an IP SAN rather than a DNS one.
func GenerateCert(host string, now time.Time) (tls.Certificate, error) {
	if host == "" {
		host = "localhost"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// FingerprintSHA1 is ncat's fingerprint of a DER certificate: 40 uppercase
// hex digits in groups of four ("E863 FF6E …").
func FingerprintSHA1(der []byte) string {
	sum := sha1.Sum(der)
	return groupHex(sum[:])
}

// FingerprintSHA256 is the SHA-256 fingerprint in ncat's layout: 64
// uppercase hex digits in groups of four.
func FingerprintSHA256(der []byte) string {
	sum := sha256.Sum256(der)
	return groupHex(sum[:])
}

func groupHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(h[i:min(i+4, len(h))])
	}
	return sb.String()
}
