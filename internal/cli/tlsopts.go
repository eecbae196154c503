package cli

import (
	"crypto/tls"
	"strings"

	"gnc/internal/tlsx"
)

// TLS option values and checks: --ssl and the options that go with it.

// sslFileValue is --ssl-cert, --ssl-key or --ssl-trustfile: a non-empty
// path (each turns --ssl on: see checkTLS).
type sslFileValue struct {
	what string
	dst  *string
	once bool // --ssl-trustfile may be given only once
}

func (v sslFileValue) Set(s string) error {
	if v.once && *v.dst != "" {
		return usageErrorf("The %s option may be given only once. QUITTING.", v.what)
	}
	if s == "" {
		return usageErrorf("%s needs a non-empty value. QUITTING.", v.what)
	}
	*v.dst = s
	return nil
}
func (v sslFileValue) String() string { return "" }
func (v sslFileValue) Type() string   { return "file" }

// cipherValue is --ssl-ciphers: an OpenSSL cipher string Go can express.
type cipherValue struct{ t *TLSConfig }

func (v cipherValue) Set(s string) error {
	ids, err := tlsx.ParseCiphers(s)
	if err != nil {
		return usageErrorf("Unable to set the --ssl-ciphers list: %v. QUITTING.", err)
	}
	v.t.Ciphers, v.t.CipherSuites = s, ids
	return nil
}
func (v cipherValue) String() string { return "" }
func (v cipherValue) Type() string   { return "ciphers" }

// alpnValue is --ssl-alpn: a comma-separated protocol list.
type alpnValue struct{ dst *[]string }

func (v alpnValue) Set(s string) error {
	var protos []string
	for p := range strings.SplitSeq(s, ",") {
		if p == "" || len(p) > 255 {
			return usageErrorf("Invalid --ssl-alpn list %q: each protocol name is 1 to 255 bytes, separated by commas. QUITTING.", s)
		}
		protos = append(protos, p)
	}
	*v.dst = protos
	return nil
}
func (v alpnValue) String() string { return "" }
func (v alpnValue) Type() string   { return "protocols" }

// versionValue is --ssl-min-version or --ssl-max-version.
type versionValue struct {
	what string
	dst  *uint16
}

func (v versionValue) Set(s string) error {
	ver, err := tlsx.ParseVersion(s)
	if err != nil {
		return usageErrorf("Invalid %s %q (use 1.0, 1.1, 1.2 or 1.3). QUITTING.", v.what, s)
	}
	*v.dst = ver
	return nil
}
func (v versionValue) String() string { return "" }
func (v versionValue) Type() string   { return "version" }

// checkTLS checks the --ssl* options against each other and the mode, with
// ncat's messages where ncat has them.
func checkTLS(c *Config) error {
	t := &c.TLS
	if t.TrustFile != "" {
		t.Verify = true
	}
	if t.Verify || t.CertFile != "" || t.KeyFile != "" {
		t.Enabled = true
	}
	switch {
	case (t.CertFile == "") != (t.KeyFile == ""):
		return usageErrorf("The --ssl-key and --ssl-cert options must be used together. QUITTING.")
	case !t.Enabled && t.Ciphers != "":
		return usageErrorf("--ssl-ciphers needs --ssl. QUITTING.")
	case !t.Enabled && t.ServerName != "":
		return usageErrorf("--ssl-servername needs --ssl. QUITTING.")
	case !t.Enabled && t.ALPN != nil:
		return usageErrorf("--ssl-alpn needs --ssl. QUITTING.")
	case !t.Enabled && (t.MinVersion != 0 || t.MaxVersion != 0):
		return usageErrorf("--ssl-min-version and --ssl-max-version need --ssl. QUITTING.")
	case t.MinVersion != 0 && t.MaxVersion != 0 && t.MinVersion > t.MaxVersion:
		return usageErrorf("--ssl-min-version %s is above --ssl-max-version %s. QUITTING.", tlsx.VersionName(t.MinVersion), tlsx.VersionName(t.MaxVersion))
	case !t.Enabled:
		return nil
	case c.Unix:
		return usageErrorf("SSL option not supported when using Unix domain sockets. QUITTING.")
	case c.Listen && t.ServerName != "":
		return usageErrorf("--ssl-servername is for connect mode: a listener has no server name to ask for. QUITTING.")
	case c.UDP && (t.MinVersion > tls.VersionTLS12 || (t.MaxVersion != 0 && t.MaxVersion < tls.VersionTLS12)):
		return usageErrorf("DTLS (--ssl -u) is version 1.2 only: --ssl-min-version and --ssl-max-version must allow 1.2. QUITTING.")
	case c.UDP && c.Broker:
		return usageErrorf("--ssl with -u and --broker/--chat (DTLS broker) is not supported by this version of gnc.")
	case c.UDP && c.Listen && c.hasExec():
		return usageErrorf("--ssl with -u and -e, -c or --lua-exec (DTLS exec listener) is not supported by this version of gnc.")
	}
	return nil
}

// tlsOptions are the tlsx options of the command line.
func (c *Config) tlsOptions() tlsx.Options {
	t := c.TLS
	return tlsx.Options{
		CertFile:   t.CertFile,
		KeyFile:    t.KeyFile,
		Verify:     t.Verify,
		TrustFile:  t.TrustFile,
		Ciphers:    t.CipherSuites,
		ServerName: t.ServerName,
		ALPN:       t.ALPN,
		MinVersion: t.MinVersion,
		MaxVersion: t.MaxVersion,
	}
}

// maxDatagram is the stdin datagram bound: one DTLS record with --ssl -u,
// else relay's default.
func (c *Config) maxDatagram() int {
	if c.UDP && c.TLS.Enabled {
		return tlsx.MaxDTLSRecord
	}
	return 0
}
