package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pion/dtls/v3"
)

// DTLS (--ssl -u) with pion/dtls: configurations from the same Options,
// a client over a connected UDP socket, and a listener over one of gnc's
// own UDP sockets (see PacketMux).

// MaxDTLSRecord is the largest plaintext of one DTLS record: a datagram of
// stdin is at most this long.
const MaxDTLSRecord = 16384

// checkDTLSVersions refuses versions DTLS 1.2 cannot honour.
func checkDTLSVersions(o Options) error {
	if o.MinVersion > tls.VersionTLS12 {
		return errors.New("DTLS is version 1.2 only: --ssl-min-version above 1.2 cannot be used with -u")
	}
	if o.MaxVersion != 0 && o.MaxVersion < tls.VersionTLS12 {
		return errors.New("DTLS is version 1.2 only: --ssl-max-version below 1.2 cannot be used with -u")
	}
	return nil
}

func dtlsSuites(ids []uint16) []dtls.CipherSuiteID {
	var out []dtls.CipherSuiteID
	for _, id := range ids {
		out = append(out, dtls.CipherSuiteID(id))
	}
	return out
}

// DTLSClientConfig is a DTLS client's configuration.
type DTLSClientConfig struct{ opts []dtls.ClientOption }

// DTLSServerConfig is a DTLS listener's configuration.
type DTLSServerConfig struct{ opts []dtls.ServerOption }

// NewDTLSClient builds a DTLS client configuration for host, and the
// Verifier that goes with it (run inside the handshake with Verify).
func NewDTLSClient(o Options, host string) (*DTLSClientConfig, *Verifier, error) {
	if err := checkDTLSVersions(o); err != nil {
		return nil, nil, err
	}
	tc, err := NewClient(o, host)
	if err != nil {
		return nil, nil, err
	}
	opts := []dtls.ClientOption{
		dtls.WithInsecureSkipVerify(true),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
	}
	if len(tc.Config.Certificates) > 0 {
		opts = append(opts, dtls.WithCertificates(tc.Config.Certificates...))
	}
	if tc.Config.ServerName != "" {
		opts = append(opts, dtls.WithServerName(tc.Config.ServerName))
	}
	for _, op := range commonDTLSOptions(o) {
		opts = append(opts, op)
	}
	if tc.Config.VerifyConnection != nil {
		v := tc.Verifier
		opts = append(opts, dtls.WithVerifyConnection(func(s *dtls.State) error { return v.Verify(stateOf(s)) }))
	}
	return &DTLSClientConfig{opts}, tc.Verifier, nil
}

// commonDTLSOptions are ALPN and cipher suites.
func commonDTLSOptions(o Options) []dtls.Option {
	var opts []dtls.Option
	if len(o.ALPN) > 0 {
		opts = append(opts, dtls.WithSupportedProtocols(o.ALPN...))
	}
	if len(o.Ciphers) > 0 {
		opts = append(opts, dtls.WithCipherSuites(dtlsSuites(o.Ciphers)...))
	}
	return opts
}

// NewDTLSServer builds a DTLS listener's configuration: the same
// certificate rules as NewServer.
func NewDTLSServer(o Options, host string) (*DTLSServerConfig, *Server, error) {
	if err := checkDTLSVersions(o); err != nil {
		return nil, nil, err
	}
	s, err := NewServer(o, host)
	if err != nil {
		return nil, nil, err
	}
	opts := []dtls.ServerOption{
		dtls.WithCertificates(s.Config.Certificates...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
	}
	for _, op := range commonDTLSOptions(o) {
		opts = append(opts, op)
	}
	if s.Config.ClientAuth == tls.RequireAndVerifyClientCert {
		opts = append(opts, dtls.WithClientAuth(dtls.RequireAndVerifyClientCert), dtls.WithClientCAs(s.Config.ClientCAs))
	}
	return &DTLSServerConfig{opts}, s, nil
}

// stateOf turns a DTLS state into the parts of a tls.ConnectionState
// that Verifier and the -v lines use.
func stateOf(s *dtls.State) tls.ConnectionState {
	var cs tls.ConnectionState
	for _, der := range s.PeerCertificates {
		if c, err := x509.ParseCertificate(der); err == nil {
			cs.PeerCertificates = append(cs.PeerCertificates, c)
		}
	}
	cs.Version = tls.VersionTLS12
	cs.CipherSuite = uint16(s.CipherSuiteID)
	cs.NegotiatedProtocol = s.NegotiatedProtocol
	return cs
}

// DTLSState is a finished DTLS handshake's state as a tls.ConnectionState
// (version, suite, ALPN, peer certificates).
func DTLSState(c *dtls.Conn) tls.ConnectionState {
	s, ok := c.ConnectionState()
	if !ok {
		return tls.ConnectionState{}
	}
	return stateOf(&s)
}

// DTLSClient runs a DTLS client handshake over conn, a connected UDP
// socket, bounded by timeout and ctx. On failure it closes conn.
func DTLSClient(ctx context.Context, conn net.Conn, cfg *DTLSClientConfig, timeout time.Duration) (*DTLSConn, error) {
	dc, err := dtls.ClientWithOptions(connectedPacketConn{conn}, conn.RemoteAddr(), cfg.opts...)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := DTLSHandshake(ctx, dc, timeout); err != nil {
		dc.Close()
		return nil, err
	}
	return &DTLSConn{dc}, nil
}

// DTLSHandshake runs c's handshake bounded by timeout (none if not
// positive) and ctx.
func DTLSHandshake(ctx context.Context, c *dtls.Conn, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err := c.HandshakeContext(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("DTLS handshake timed out after %v", timeout)
	}
	return err
}

// DTLSListener serves DTLS on one of gnc's UDP sockets: each new peer
// address that starts a handshake is a connection (a *dtls.Conn), whose
// handshake the caller runs with Handshake. Closing the listener stops
// accepting; the socket closes once the last peer is closed.
type DTLSListener struct {
	net.Listener
	mux *PacketMux
}

// NewDTLSListener listens for DTLS peers on pc.
func NewDTLSListener(pc net.PacketConn, cfg *DTLSServerConfig) (*DTLSListener, error) {
	mux := NewPacketMux(pc)
	ln, err := dtls.NewListenerWithOptions(mux, cfg.opts...)
	if err != nil {
		mux.Close()
		return nil, err
	}
	return &DTLSListener{Listener: ln, mux: mux}, nil
}

// Handshake runs the handshake of a peer from Accept (see DTLSHandshake)
// and then lets through the application data it sent meanwhile.
func (l *DTLSListener) Handshake(ctx context.Context, c *dtls.Conn, timeout time.Duration) error {
	if err := DTLSHandshake(ctx, c, timeout); err != nil {
		return err
	}
	l.mux.Release(c.RemoteAddr())
	return nil
}

// connectedPacketConn is a connected UDP socket as the net.PacketConn
// pion wants: reads come from the peer, writes go to it.
type connectedPacketConn struct{ net.Conn }

func (c connectedPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.Read(b)
	return n, c.RemoteAddr(), err
}

func (c connectedPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) { return c.Write(b) }

// DTLSConn is an established DTLS connection whose Read does not lose the
// last datagrams before the peer's close_notify: pion's Read picks at
// random between "closed" and "data waiting" once both are ready, so an
// EOF may come while decrypted datagrams still wait. Read asks again
// until EOF has come eofChecks times in a row.
type DTLSConn struct{ *dtls.Conn }

// eofChecks bounds the retries: each finds a waiting datagram with
// probability 1/2, so one is lost with probability 2^-eofChecks.
const eofChecks = 32

func (c *DTLSConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	for i := 0; i < eofChecks && n == 0 && errors.Is(err, io.EOF); i++ {
		n, err = c.Conn.Read(b)
	}
	return n, err
}
