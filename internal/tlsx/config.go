package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Options are the --ssl* options. The zero value is a TLS client that
// verifies nothing, or a listener with a throwaway certificate, with Go's
// default versions and suites.
type Options struct {
	CertFile, KeyFile string // --ssl-cert, --ssl-key: PEM; the cert file may hold a chain
	// Verify is --ssl-verify: a client checks the server's chain and name;
	// a listener requires a client certificate and checks its chain.
	Verify bool
	// TrustFile is --ssl-trustfile: PEM roots used instead of the system
	// pool. It implies Verify (the command line sets both).
	TrustFile  string
	Ciphers    []uint16 // --ssl-ciphers parsed by ParseCiphers; nil = Go's defaults
	ServerName string   // --ssl-servername: SNI and the name verified; "" = the host
	ALPN       []string // --ssl-alpn
	// MinVersion and MaxVersion are tls.Version* values; 0 = Go's default.
	MinVersion, MaxVersion uint16
}

// Client is a client configuration with the checks that go with it.
type Client struct {
	Config *tls.Config
	// Verifier checks the server certificate. With Options.Verify it runs
	// inside the handshake (a failure aborts it, with a *VerifyError);
	// otherwise the caller may run it afterwards to say, under -v, whether
	// the certificate would have verified.
	Verifier *Verifier
}

// NewClient builds the client configuration for a connection to host.
func NewClient(o Options, host string) (*Client, error) {
	name := o.ServerName
	if name == "" {
		name = host
	}
	roots, err := loadRoots(o.TrustFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		// Verification is ours (Verifier), so that a chain failure and a
		// name mismatch can be told apart, as ncat does.
		InsecureSkipVerify: true,
		ServerName:         sniName(name),
		NextProtos:         o.ALPN,
		CipherSuites:       o.Ciphers,
		MinVersion:         o.MinVersion,
		MaxVersion:         o.MaxVersion,
	}
	if o.CertFile != "" {
		cert, err := loadKeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	v := &Verifier{Roots: roots, Name: name}
	if o.Verify || o.TrustFile != "" {
		cfg.VerifyConnection = v.Verify
	}
	return &Client{Config: cfg, Verifier: v}, nil
}

// sniName is the name sent as SNI: none for an IP address (RFC 6066).
func sniName(name string) string {
	if net.ParseIP(name) != nil {
		return ""
	}
	return name
}

// Server is a listener's configuration.
type Server struct {
	Config *tls.Config
	// Generated is the throwaway certificate when no --ssl-cert was given,
	// else nil.
	Generated *tls.Certificate
}

// NewServer builds a listener's configuration. Without a certificate file
// it generates a throwaway certificate named after host (see GenerateCert).
func NewServer(o Options, host string) (*Server, error) {
	cfg := &tls.Config{
		NextProtos:   o.ALPN,
		CipherSuites: o.Ciphers,
		MinVersion:   o.MinVersion,
		MaxVersion:   o.MaxVersion,
		// No session tickets: a netcat's clients rarely resume, and
		// minting two tickets per connection costs about a tenth of a
		// handshake's CPU (go run ./bench -only tls-handshake).
		SessionTicketsDisabled: true,
	}
	s := &Server{Config: cfg}
	if o.CertFile != "" {
		cert, err := loadKeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else {
		cert, err := GenerateCert(host, time.Now())
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
		s.Generated = &cfg.Certificates[0]
	}
	if o.Verify || o.TrustFile != "" {
		pool, err := loadRoots(o.TrustFile)
		if err != nil {
			return nil, err
		}
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil {
				return nil, fmt.Errorf("system certificate pool: %w", err)
			}
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = pool
	}
	return s, nil
}

func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// loadRoots reads a PEM trust file; "" gives nil, the system pool.
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("trust file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("trust file %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// Handshake runs c's handshake, bounded by timeout (none if not positive)
// and ctx.
func Handshake(ctx context.Context, c *tls.Conn, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err := c.HandshakeContext(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("TLS handshake timed out after %v", timeout)
	}
	return err
}

// Conn is a TLS connection. It is a plain net.Conn (no file descriptor),
// so the relay copies it in user space and exec children get pipes. Its
// CloseWrite sends close_notify and then half-closes the transport, so a
// peer that ignores close_notify still sees the end. Made by Secure or
// SecureServer, it sends the records of each Write with one write to the socket.
type Conn struct {
	*tls.Conn
	batch *batchConn // nil: each record is its own write
}

// Write encrypts p and sends it.
func (c *Conn) Write(p []byte) (int, error) {
	// A short Write is one record at any record size: nothing to gather,
	// and no 64 KiB buffer held for a chat line to a slow peer.
	if c.batch == nil || len(p) <= smallWrite {
		return c.Conn.Write(p)
	}
	if err := c.Conn.Handshake(); err != nil { // its records must not be held
		return 0, err
	}
	b := c.batch
	b.writing.Lock()
	defer b.writing.Unlock()
	b.hold()
	n, err := c.Conn.Write(p)
	if ferr := b.flush(); ferr != nil && err == nil {
		return 0, ferr
	}
	return n, err
}

// smallWrite is the largest Write sent without gathering: it fits the
// smallest record crypto/tls makes (about 1.2 KiB at the start of its
// dynamic record sizing).
const smallWrite = 1024

// Close sends close_notify and closes the connection. As tls.Conn.Close
// does for a Write in flight, it closes the socket at once when a Write is
// still sending its records (to a peer that does not read), so that Close
// breaks that Write instead of waiting behind it.
func (c *Conn) Close() error {
	if c.batch == nil {
		return c.Conn.Close()
	}
	if !c.batch.writing.TryLock() {
		c.batch.Conn.Close()
		c.Conn.Close()
		return nil
	}
	defer c.batch.writing.Unlock()
	return c.Conn.Close()
}

// CloseWrite sends close_notify and shuts down the transport's writing
// side.
func (c *Conn) CloseWrite() error {
	if c.batch != nil {
		c.batch.writing.Lock()
		defer c.batch.writing.Unlock()
	}
	err := c.Conn.CloseWrite()
	if cw, ok := c.NetConn().(interface{ CloseWrite() error }); ok {
		if err2 := cw.CloseWrite(); err == nil {
			err = err2
		}
	}
	return err
}
