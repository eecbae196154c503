package tlsx

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// VerifyError is a peer certificate that failed --ssl-verify: its chain
// (Name false) or the name checked against it (Name true).
type VerifyError struct {
	Name bool
	Err  error
	Cert *x509.Certificate // the peer's leaf, if it sent one
}

func (e *VerifyError) Error() string { return "certificate verification failed: " + Reason(e.Err) }
func (e *VerifyError) Unwrap() error { return e.Err }

// Verifier checks a server's certificate as ncat's --ssl-verify does: the
// chain against Roots (nil: the system pool), then the leaf against Name
// (DNS or IP SANs; Go does not fall back to the CN).
type Verifier struct {
	Roots *x509.CertPool
	Name  string
	// Now is the time to verify at; nil is time.Now.
	Now func() time.Time
}

// Verify checks a finished handshake's peer certificates. Its error is a
// *VerifyError; the chain is checked first.
func (v *Verifier) Verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &VerifyError{Err: errors.New("no peer certificate")}
	}
	opts := x509.VerifyOptions{Roots: v.Roots, Intermediates: x509.NewCertPool()}
	if v.Now != nil {
		opts.CurrentTime = v.Now()
	}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	leaf := cs.PeerCertificates[0]
	if _, err := leaf.Verify(opts); err != nil {
		return &VerifyError{Err: err, Cert: leaf}
	}
	if v.Name != "" {
		if err := leaf.VerifyHostname(v.Name); err != nil {
			return &VerifyError{Name: true, Err: err, Cert: leaf}
		}
	}
	return nil
}

// Reason says why a certificate failed to verify in OpenSSL's words where
// OpenSSL has them ("self-signed certificate", "certificate has
// expired"), for ncat's "Certificate verification failed (REASON)." line.
func Reason(err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		if c := unknown.Cert; c != nil && bytes.Equal(c.RawIssuer, c.RawSubject) {
			return "self-signed certificate"
		}
		return "unable to get local issuer certificate"
	case errors.As(err, &invalid):
		switch invalid.Reason {
		case x509.Expired:
			if invalid.Cert != nil && time.Now().Before(invalid.Cert.NotBefore) {
				return "certificate is not yet valid"
			}
			return "certificate has expired"
		case x509.IncompatibleUsage:
			return "unsupported certificate purpose"
		}
		return invalid.Error()
	case errors.As(err, &host):
		return fmt.Sprintf("hostname mismatch: %s", host.Error())
	}
	return err.Error()
}
