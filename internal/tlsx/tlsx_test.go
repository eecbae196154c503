package tlsx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gnc/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint16
	}{
		{"1.0", tls.VersionTLS10}, {"1", tls.VersionTLS10}, {"1.1", tls.VersionTLS11},
		{"1.2", tls.VersionTLS12}, {"TLSv1.2", tls.VersionTLS12}, {"tls1.3", tls.VersionTLS13}, {"1.3", tls.VersionTLS13},
	} {
		got, err := ParseVersion(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseVersion(%q) = %#x, %v; want %#x", tc.in, got, err, tc.want)
		}
		if err == nil && !strings.HasPrefix(VersionName(got), "1.") {
			t.Errorf("VersionName(%#x) = %q", got, VersionName(got))
		}
	}
	for _, bad := range []string{"", "1.4", "2", "ssl3", "1.2.0", "v1.2", "0.9"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) succeeded, want error", bad)
		}
	}
}

func names(ids []uint16) []string {
	var out []string
	for _, id := range ids {
		out = append(out, SuiteName(id))
	}
	return out
}

func TestParseCiphers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // nil: only check that it parses
		err  string
	}{
		{in: "ECDHE-RSA-AES128-GCM-SHA256", want: []string{"ECDHE-RSA-AES128-GCM-SHA256"}},
		{in: "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA", want: []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES256-SHA"}},
		{in: "ECDHE+AESGCM", want: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}},
		{in: "aECDSA+AES256+AESGCM", want: []string{"ECDHE-ECDSA-AES256-GCM-SHA384"}},
		{in: "CHACHA20", want: []string{"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}},
		{in: "ALL:!aNULL:!eNULL:!LOW:!EXP:!RC4:!MD5:@STRENGTH"},
		{in: "HIGH:!kRSA:!SHA1:!SHA256:!SHA384", want: []string{"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}},
		{in: "RC4:!ECDHE", want: []string{"RC4-SHA"}},
		{in: "AESGCM:-AES256:AES256+kRSA", want: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES256-SHA"}},
		{in: "AESGCM:!AES256:AES256", want: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES128-GCM-SHA256"}},
		{in: "DEFAULT:@SECLEVEL=1"},
		{in: "COMPLEMENTOFDEFAULT", want: []string{"ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256", "AES128-SHA256", "ECDHE-RSA-DES-CBC3-SHA", "DES-CBC3-SHA", "ECDHE-ECDSA-RC4-SHA", "ECDHE-RSA-RC4-SHA", "RC4-SHA"}},
		{in: "AES128-SHA, AES256-SHA +AES128-SHA", want: []string{"AES128-SHA", "AES256-SHA"}},
		{in: "DHE-RSA-AES128-GCM-SHA256", err: `cipher "DHE-RSA-AES128-GCM-SHA256" is unknown or not available in Go's TLS`},
		{in: "AES128-SHA:DHE-RSA-AES256-SHA", err: `cipher "DHE-RSA-AES256-SHA" is unknown or not available in Go's TLS`},
		{in: "BOGUS", err: `unknown cipher alias "BOGUS"`},
		{in: "aNULL", err: `selects no cipher suite`},
		{in: "DHE", err: `selects no cipher suite`},
		{in: "", err: `selects no cipher suite`},
		{in: "TLS_AES_128_GCM_SHA256", err: "is a TLS 1.3 suite"},
		{in: "!", err: "invalid cipher string word"},
		{in: "ALL:@FOO", err: "invalid cipher string word"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCiphers(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseCiphers(%q) = %v, %v; want error containing %q", tc.in, names(got), err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCiphers(%q): %v", tc.in, err)
			}
			if tc.want != nil && !slices.Equal(names(got), tc.want) {
				t.Errorf("ParseCiphers(%q) = %v, want %v", tc.in, names(got), tc.want)
			}
		})
	}
}

// TestNcatDefaultCiphers checks ncat's default string keeps every secure
// suite and drops RC4.
func TestNcatDefaultCiphers(t *testing.T) {
	got, err := ParseCiphers("ALL:!aNULL:!eNULL:!LOW:!EXP:!RC4:!MD5:@STRENGTH")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tls.CipherSuites() {
		if !slices.Contains(s.SupportedVersions, tls.VersionTLS12) || slices.Contains(s.SupportedVersions, tls.VersionTLS13) {
			continue
		}
		if !slices.Contains(got, s.ID) {
			t.Errorf("ncat's default list lacks %s", s.Name)
		}
	}
	for _, id := range got {
		if strings.Contains(SuiteName(id), "RC4") {
			t.Errorf("ncat's default list has %s", SuiteName(id))
		}
	}
}

// TestSuiteTable checks that every TLS 1.2 suite Go implements has an
// OpenSSL name here, and nothing else does.
func TestSuiteTable(t *testing.T) {
	var goIDs []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS13) {
			continue
		}
		goIDs = append(goIDs, s.ID)
	}
	for _, id := range goIDs {
		if suiteByID(id).name == "" {
			t.Errorf("%s has no OpenSSL name in the table", tls.CipherSuiteName(id))
		}
	}
	for _, s := range suites {
		if !slices.Contains(goIDs, s.id) {
			t.Errorf("%s (%s) is not a Go suite", s.name, tls.CipherSuiteName(s.id))
		}
	}
}

func FuzzParseCiphers(f *testing.F) {
	for _, s := range []string{"ALL:!aNULL:!eNULL:!LOW:!EXP:!RC4:!MD5:@STRENGTH", "ECDHE+AESGCM", "-AES:+RC4", "!", "::", "@SECLEVEL=2", "AES128-SHA,AES256-SHA", "TLS_AES_128_GCM_SHA256", "a+b+", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseCiphers(s)
		if err == nil && len(ids) == 0 {
			t.Fatalf("ParseCiphers(%q) gave no suites and no error", s)
		}
		seen := map[uint16]bool{}
		for _, id := range ids {
			if seen[id] || suiteByID(id).name == "" {
				t.Fatalf("ParseCiphers(%q) = %v: duplicate or unknown suite", s, ids)
			}
			seen[id] = true
		}
	})
}

func TestGenerateCert(t *testing.T) {
	for _, tc := range []struct {
		host, cn string
		dns      []string
		ip       string
	}{
		{host: "", cn: "localhost", dns: []string{"localhost"}},
		{host: "example.test", cn: "example.test", dns: []string{"example.test"}},
		{host: "127.0.0.1", cn: "127.0.0.1", ip: "127.0.0.1"},
		{host: "::1", cn: "::1", ip: "::1"},
	} {
		cert, err := GenerateCert(tc.host, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		leaf := cert.Leaf
		key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
		switch {
		case !ok || key.Curve != elliptic.P256():
			t.Errorf("%q: key %T, want ECDSA P-256", tc.host, cert.PrivateKey)
		case leaf.SignatureAlgorithm != x509.ECDSAWithSHA256:
			t.Errorf("%q: signature %v", tc.host, leaf.SignatureAlgorithm)
		case leaf.Subject.CommonName != tc.cn:
			t.Errorf("%q: CN %q, want %q", tc.host, leaf.Subject.CommonName, tc.cn)
		case !slices.Equal(leaf.DNSNames, tc.dns):
			t.Errorf("%q: DNS SANs %v, want %v", tc.host, leaf.DNSNames, tc.dns)
		case tc.ip != "" && (len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP(tc.ip))):
			t.Errorf("%q: IP SANs %v, want %s", tc.host, leaf.IPAddresses, tc.ip)
		case leaf.NotAfter.Sub(leaf.NotBefore) < 364*24*time.Hour:
			t.Errorf("%q: valid %v to %v", tc.host, leaf.NotBefore, leaf.NotAfter)
		}
		// It verifies as its own root under its own name.
		pool := x509.NewCertPool()
		pool.AddCert(leaf)
		v := Verifier{Roots: pool, Name: tc.cn}
		if err := v.Verify(tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}); err != nil {
			t.Errorf("%q: %v", tc.host, err)
		}
	}
	a, _ := GenerateCert("", time.Now())
	b, _ := GenerateCert("", time.Now())
	if FingerprintSHA256(a.Certificate[0]) == FingerprintSHA256(b.Certificate[0]) {
		t.Error("two throwaway certificates are the same")
	}
}

func TestFingerprint(t *testing.T) {
	sha1re := regexp.MustCompile(`^[0-9A-F]{4}( [0-9A-F]{4}){9}$`)
	sha256re := regexp.MustCompile(`^[0-9A-F]{4}( [0-9A-F]{4}){15}$`)
	der := []byte("not a certificate, but hashes all the same")
	if got := FingerprintSHA1(der); !sha1re.MatchString(got) {
		t.Errorf("FingerprintSHA1 = %q", got)
	}
	if got := FingerprintSHA256(der); !sha256re.MatchString(got) {
		t.Errorf("FingerprintSHA256 = %q", got)
	}
}

func parse(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemData)
	if block == nil {
		t.Fatal("no PEM block")
	}
	certs, err := x509.ParseCertificates(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func TestVerifyReasons(t *testing.T) {
	ca := testnet.NewCA(t, "gnc test CA")
	other := testnet.NewCA(t, "another CA")
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	good, _ := ca.Issue(t, testnet.Leaf{CN: "srv", DNS: []string{"srv.test"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	expired, _ := ca.Issue(t, testnet.Leaf{CN: "old", DNS: []string{"srv.test"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	foreign, _ := other.Issue(t, testnet.Leaf{CN: "srv", DNS: []string{"srv.test"}})
	self, _ := GenerateCert("srv.test", time.Now())
	for _, tc := range []struct {
		name     string
		cert     *x509.Certificate
		host     string
		nameErr  bool
		reason   string // "" = verifies
		rootless bool
	}{
		{name: "dns ok", cert: parse(t, good), host: "srv.test"},
		{name: "ip san ok", cert: parse(t, good), host: "127.0.0.1"},
		{name: "wrong name", cert: parse(t, good), host: "other.test", nameErr: true, reason: "hostname mismatch"},
		{name: "wrong ip", cert: parse(t, good), host: "127.0.0.2", nameErr: true, reason: "hostname mismatch"},
		{name: "expired", cert: parse(t, expired), host: "srv.test", reason: "certificate has expired"},
		{name: "untrusted", cert: parse(t, foreign), host: "srv.test", reason: "unable to get local issuer certificate"},
		{name: "self-signed", cert: self.Leaf, host: "srv.test", reason: "self-signed certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Verifier{Roots: roots, Name: tc.host}
			err := v.Verify(tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc.cert}})
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %v, want *VerifyError", err)
			}
			if ve.Name != tc.nameErr || !strings.HasPrefix(Reason(ve.Err), tc.reason) {
				t.Errorf("Verify = name %v, reason %q; want name %v, reason %q", ve.Name, Reason(ve.Err), tc.nameErr, tc.reason)
			}
		})
	}
}

// handshake runs a client and a server over loopback and returns their
// client's state and both errors (the client's includes a failed echo).
func handshake(t *testing.T, co, so Options, host string) (cs tls.ConnectionState, clientErr, serverErr error) {
	t.Helper()
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	srv, err := NewServer(so, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(co, host)
	if err != nil {
		t.Fatal(err)
	}
	serverDone := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serverDone <- err
			return
		}
		tc := tls.Server(c, srv.Config)
		defer tc.Close()
		if err := Handshake(t.Context(), tc, 10*time.Second); err != nil {
			serverDone <- err
			return
		}
		_, err = io.Copy(tc, tc) // echo until close_notify
		serverDone <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := Secure(raw, cl.Config)
	tc := c.Conn
	defer tc.Close()
	if clientErr = Handshake(t.Context(), tc, 10*time.Second); clientErr == nil {
		cs = tc.ConnectionState()
		_, werr := c.Write([]byte("ping"))
		cerr := c.CloseWrite()
		got, err := io.ReadAll(c)
		if werr != nil || cerr != nil || err != nil || string(got) != "ping" {
			clientErr = errors.Join(werr, cerr, err, errors.New("echo "+string(got)))
		}
	} else {
		tc.Close()
	}
	return cs, clientErr, <-serverDone
}

func TestClientServer(t *testing.T) {
	ca := testnet.NewCA(t, "gnc test CA")
	caFile := testnet.WriteFile(t, "ca.pem", ca.PEM)
	srvCert, srvKey := ca.Issue(t, testnet.Leaf{CN: "srv", DNS: []string{"srv.test"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	cliCert, cliKey := ca.Issue(t, testnet.Leaf{CN: "client", Client: true})
	srvFiles := Options{CertFile: testnet.WriteFile(t, "srv.pem", srvCert), KeyFile: testnet.WriteFile(t, "srv.key", srvKey)}
	cliFiles := Options{CertFile: testnet.WriteFile(t, "cli.pem", cliCert), KeyFile: testnet.WriteFile(t, "cli.key", cliKey)}

	t.Run("throwaway cert, no verification", func(t *testing.T) {
		cs, cerr, serr := handshake(t, Options{}, Options{}, "127.0.0.1")
		if cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if cs.Version != tls.VersionTLS13 {
			t.Errorf("version %x", cs.Version)
		}
	})
	t.Run("verify with trust file, IP SAN", func(t *testing.T) {
		_, cerr, serr := handshake(t, Options{Verify: true, TrustFile: caFile}, srvFiles, "127.0.0.1")
		if cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
	})
	t.Run("servername names the check", func(t *testing.T) {
		_, cerr, _ := handshake(t, Options{Verify: true, TrustFile: caFile, ServerName: "wrong.test"}, srvFiles, "127.0.0.1")
		var ve *VerifyError
		if !errors.As(cerr, &ve) || !ve.Name {
			t.Fatalf("client error %v, want a name *VerifyError", cerr)
		}
	})
	t.Run("throwaway cert fails verification", func(t *testing.T) {
		_, cerr, _ := handshake(t, Options{Verify: true, TrustFile: caFile}, Options{}, "127.0.0.1")
		var ve *VerifyError
		if !errors.As(cerr, &ve) || ve.Name || Reason(ve.Err) != "self-signed certificate" {
			t.Fatalf("client error %v, want a self-signed chain *VerifyError", cerr)
		}
	})
	t.Run("client certificate required and verified", func(t *testing.T) {
		so := srvFiles
		so.Verify, so.TrustFile = true, caFile
		co := cliFiles
		if _, cerr, serr := handshake(t, co, so, "127.0.0.1"); cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		_, _, serr := handshake(t, Options{}, so, "127.0.0.1")
		if serr == nil || !strings.Contains(serr.Error(), "certificate") {
			t.Fatalf("server error %v, want a missing-certificate error", serr)
		}
	})
	t.Run("alpn both ways", func(t *testing.T) {
		cs, cerr, serr := handshake(t, Options{ALPN: []string{"x-gnc", "h2"}}, Options{ALPN: []string{"h2"}}, "127.0.0.1")
		if cerr != nil || serr != nil || cs.NegotiatedProtocol != "h2" {
			t.Fatal(cerr, serr, cs.NegotiatedProtocol)
		}
	})
	t.Run("versions and ciphers", func(t *testing.T) {
		ids, err := ParseCiphers("ECDHE-ECDSA-CHACHA20-POLY1305")
		if err != nil {
			t.Fatal(err)
		}
		cs, cerr, serr := handshake(t, Options{MaxVersion: tls.VersionTLS12, Ciphers: ids}, Options{MinVersion: tls.VersionTLS12}, "127.0.0.1")
		if cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		if cs.Version != tls.VersionTLS12 || cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
			t.Errorf("got %s with %s", VersionName(cs.Version), SuiteName(cs.CipherSuite))
		}
		_, cerr, _ = handshake(t, Options{MaxVersion: tls.VersionTLS12}, Options{MinVersion: tls.VersionTLS13}, "127.0.0.1")
		if cerr == nil {
			t.Error("a 1.2 client met a 1.3-only server")
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	ln := testnet.Listen(t, "tcp", "127.0.0.1:0")
	srv, err := NewServer(Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Server(c, srv.Config)
	defer tc.Close()
	// The client says nothing: the handshake ends at the timeout.
	err = Handshake(context.Background(), tc, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Handshake = %v, want a timeout", err)
	}
}

func TestFormatName(t *testing.T) {
	ca := testnet.NewCA(t, "gnc test CA")
	if got := FormatName(ca.Cert.Subject); got != "CN=gnc test CA" {
		t.Errorf("FormatName = %q", got)
	}
	lines := Describe(ca.Cert)
	if len(lines) != 3 || lines[0] != "Subject: CN=gnc test CA" || lines[1] != "Issuer: CN=gnc test CA" || !strings.HasPrefix(lines[2], "SHA-1 fingerprint: ") {
		t.Errorf("Describe = %q", lines)
	}
}

// testCA is a CA's trust file and a server certificate it signed for
// 127.0.0.1 and srv.test.
type testCA struct {
	caFile string
	srv    Options
}

func newTestCA(t *testing.T) testCA {
	ca := testnet.NewCA(t, "gnc test CA")
	c, k := ca.Issue(t, testnet.Leaf{CN: "srv", DNS: []string{"srv.test"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}})
	return testCA{
		caFile: testnet.WriteFile(t, "ca.pem", ca.PEM),
		srv:    Options{CertFile: testnet.WriteFile(t, "srv.pem", c), KeyFile: testnet.WriteFile(t, "srv.key", k)},
	}
}
