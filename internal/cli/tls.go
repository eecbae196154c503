package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"

	"github.com/pion/dtls/v3"

	"gnc/internal/tlsx"
	"gnc/internal/transport"
)

// TLS for connect and listen modes: the client handshake with ncat's -v
// lines and exit codes, and the listener's configuration and per-client
// handshake.

// ncatError is one of ncat's messages, written as ncat writes it.
type ncatError string

func (e ncatError) Error() string { return string(e) }

// errTLSIO is ncat's message for a TLS connection that failed, including a
// certificate chain that does not verify (exit 1).
const errTLSIO ncatError = "Input/output error."

// sentence ends err's message with a period, for ncat's "REASON.
// QUITTING." form.
func sentence(err error) error { return sentenceError{err} }

type sentenceError struct{ err error }

func (e sentenceError) Error() string { return strings.TrimSuffix(e.err.Error(), ".") + "." }
func (e sentenceError) Unwrap() error { return e.err }

// tlsClient is a connect-mode TLS or DTLS client configuration.
type tlsClient struct {
	tls      *tlsx.Client
	dtls     *tlsx.DTLSClientConfig
	verifier *tlsx.Verifier
}

// newTLSClient builds the client configuration before dialing, so that a
// bad certificate file fails at once (exit 2) as with ncat.
func (e *env) newTLSClient() (*tlsClient, error) {
	if e.cfg.UDP {
		cfg, v, err := tlsx.NewDTLSClient(e.cfg.tlsOptions(), e.cfg.Host)
		if err != nil {
			return nil, &FatalError{Err: sentence(err)}
		}
		return &tlsClient{dtls: cfg, verifier: v}, nil
	}
	cl, err := tlsx.NewClient(e.cfg.tlsOptions(), e.cfg.Host)
	if err != nil {
		return nil, &FatalError{Err: sentence(err)}
	}
	return &tlsClient{tls: cl, verifier: cl.Verifier}, nil
}

// clientHandshake runs the TLS (or DTLS) handshake on a connected conn,
// bounded by -w, and prints ncat's -v lines. It closes conn when it fails.
func (e *env) clientHandshake(ctx context.Context, cl *tlsClient, conn net.Conn) (net.Conn, error) {
	var secured net.Conn
	var cs tls.ConnectionState
	var err error
	if cl.dtls != nil {
		var dc *tlsx.DTLSConn
		if dc, err = tlsx.DTLSClient(ctx, conn, cl.dtls, e.cfg.ConnectTimeout); err == nil {
			secured, cs = dc, tlsx.DTLSState(dc.Conn)
		}
	} else {
		tc := tlsx.Secure(conn, cl.tls.Config)
		if err = tlsx.Handshake(ctx, tc.Conn, e.cfg.ConnectTimeout); err != nil {
			tc.Close()
		} else {
			secured, cs = tc, tc.ConnectionState()
		}
	}
	if err != nil {
		var ve *tlsx.VerifyError
		if errors.As(err, &ve) {
			if ve.Cert != nil {
				for _, l := range tlsx.Describe(ve.Cert) {
					e.verbosef("%s", l)
				}
			}
			e.verbosef("Certificate verification failed (%s).", tlsx.Reason(ve.Err))
			if ve.Name {
				return nil, &FatalError{Err: ncatError("Certificate verification error.")}
			}
			return nil, errTLSIO
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errors.New(transport.Describe(err)) // UDP: nothing listens
		}
		e.verbosef("TLS handshake with %s failed: %v", e.targetName(conn), err)
		return nil, errTLSIO
	}
	if len(cs.PeerCertificates) == 0 {
		secured.Close()
		e.verbosef("The server sent no certificate.")
		return nil, errTLSIO
	}
	leaf := cs.PeerCertificates[0]
	for _, l := range tlsx.Describe(leaf) {
		e.verbosef("%s", l)
	}
	if !e.cfg.TLS.Verify && e.cfg.Verbose > 0 {
		// ncat does not verify unless asked, but says whether it would.
		if verr := cl.verifier.Verify(cs); verr != nil {
			var ve *tlsx.VerifyError
			errors.As(verr, &ve)
			e.verbosef("Certificate verification failed (%s).", tlsx.Reason(ve.Err))
		}
	}
	e.verbosef("SSL connection to %s.", e.targetName(conn))
	e.verbosef("SHA-1 fingerprint: %s", tlsx.FingerprintSHA1(leaf.Raw))
	e.debugf("%s", describeState(cs))
	return secured, nil
}

// describeState is the -vv line about a finished handshake.
func describeState(cs tls.ConnectionState) string {
	var b strings.Builder
	b.WriteString("TLS " + tlsx.VersionName(cs.Version) + ", cipher " + tlsx.SuiteName(cs.CipherSuite))
	if cs.NegotiatedProtocol != "" {
		b.WriteString(", ALPN " + cs.NegotiatedProtocol)
	}
	return b.String()
}

// secureFunc runs a listener's handshake with one new client and returns
// the secured connection, or nil when the handshake failed (the client is
// then closed and logged). A nil secureFunc is plain TCP or UDP.
type secureFunc func(ctx context.Context, conn net.Conn) net.Conn

// tlsListener returns the TLS handshake of a stream listener, or nil
// without --ssl. Without --ssl-cert it generates the throwaway
// certificate and, under -v, says so with its SHA-256 fingerprint.
func (e *env) tlsListener() (secureFunc, error) {
	if !e.cfg.TLS.Enabled {
		return nil, nil
	}
	s, err := tlsx.NewServer(e.cfg.tlsOptions(), e.cfg.Host)
	if err != nil {
		return nil, &FatalError{Err: sentence(err)}
	}
	e.announceCert(s)
	return func(ctx context.Context, conn net.Conn) net.Conn {
		return e.serverHandshake(ctx, s.Config, conn)
	}, nil
}

func (e *env) announceCert(s *tlsx.Server) {
	if s.Generated != nil {
		e.verbosef("Generating a temporary ECDSA P-256 key. Use --ssl-key and --ssl-cert to use a permanent one.")
		e.verbosef("SHA-256 fingerprint: %s", tlsx.FingerprintSHA256(s.Generated.Certificate[0]))
	}
}

// dtlsListeners puts DTLS on a UDP listener's sockets: each becomes a
// net.Listener of peers whose handshake the returned secureFunc runs.
func (e *env) dtlsListeners(pcs []net.PacketConn) ([]net.Listener, secureFunc, error) {
	cfg, s, err := tlsx.NewDTLSServer(e.cfg.tlsOptions(), e.cfg.Host)
	if err != nil {
		for _, pc := range pcs {
			pc.Close()
		}
		return nil, nil, &FatalError{Err: sentence(err)}
	}
	e.announceCert(s)
	var lns []net.Listener
	var dls []*tlsx.DTLSListener
	for _, pc := range pcs {
		ln, err := tlsx.NewDTLSListener(pc, cfg)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			for _, pc := range pcs[len(lns):] { // not wrapped yet
				pc.Close()
			}
			return nil, nil, &FatalError{Err: sentence(fmt.Errorf("DTLS: %w", err))}
		}
		lns, dls = append(lns, ln), append(dls, ln)
	}
	secure := func(ctx context.Context, conn net.Conn) net.Conn {
		dc, ok := conn.(*dtls.Conn)
		if !ok {
			conn.Close()
			return nil
		}
		err := fmt.Errorf("no DTLS listener on %v", conn.LocalAddr())
		for _, l := range dls {
			if l.Addr().String() == conn.LocalAddr().String() {
				err = l.Handshake(ctx, dc, e.cfg.ConnectTimeout)
			}
		}
		if err != nil {
			dc.Close()
			if ctx.Err() == nil {
				e.conns.CountDenied()
				e.verbosef("Failed SSL connection from %s: %v", transport.FormatIP(conn.RemoteAddr()), err)
			}
			return nil
		}
		e.debugf("D%s", describeState(tlsx.DTLSState(dc)))
		return &tlsx.DTLSConn{Conn: dc}
	}
	return lns, secure, nil
}

// serverHandshake runs a listener's handshake with one client, bounded by
// -w (10 s by default) and ctx. On failure it closes conn, says why under
// -v, and returns nil. Listen modes (and exec, which then relays through
// pipes) call it in the client's own goroutine, so a slow client never
// holds up others.
func (e *env) serverHandshake(ctx context.Context, cfg *tls.Config, conn net.Conn) net.Conn {
	tc := tlsx.SecureServer(conn, cfg)
	if err := tlsx.Handshake(ctx, tc.Conn, e.cfg.ConnectTimeout); err != nil {
		tc.Close()
		if ctx.Err() == nil {
			e.conns.CountDenied()
			e.verbosef("Failed SSL connection from %s: %v", transport.FormatIP(conn.RemoteAddr()), err)
		}
		return nil
	}
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) > 0 {
		e.debugf("Client certificate: %s", tlsx.FormatName(cs.PeerCertificates[0].Subject))
	}
	e.debugf("%s", describeState(cs))
	return tc
}

// handshaker admits a listener's new clients to a hub: at once in plain
// mode, or after a TLS handshake run in a goroutine of the client's own
// (waited for by wait), so that a client that stalls holds up nobody.
// Clients still in their handshake count towards -m.
type handshaker struct {
	e       *env
	ctx     context.Context
	secure  secureFunc
	members func() int // the hub's member count
	// quiet: the join callback logs the client (the broker does, once it
	// is in the room); otherwise admit logs a denial.
	quiet bool
	mu    sync.Mutex
	busy  int // handshakes under way
	wg    sync.WaitGroup
}

func (e *env) newHandshaker(ctx context.Context, secure secureFunc, members func() int) *handshaker {
	return &handshaker{e: e, ctx: ctx, secure: secure, members: members}
}

// admit hands conn to join (which reports whether the hub took it) or,
// when it does not join, closes it with ncat's -v denial.
func (h *handshaker) admit(conn net.Conn, join func(net.Conn) bool) {
	max := h.e.cfg.MaxConns
	if h.secure == nil {
		if !join(conn) {
			h.deny(conn)
		}
		return
	}
	h.mu.Lock()
	full := h.busy+h.members() >= max
	if !full {
		h.busy++
	}
	h.mu.Unlock()
	if full {
		if h.quiet {
			h.e.announceClient(conn.RemoteAddr())
		}
		h.deny(conn)
		return
	}
	h.wg.Go(func() { h.handshake(conn, join) })
}

func (h *handshaker) handshake(conn net.Conn, join func(net.Conn) bool) {
	tc := h.secure(h.ctx, conn)
	h.mu.Lock()
	h.busy--
	h.mu.Unlock()
	if tc != nil && !join(tc) {
		h.deny(tc)
	}
}

func (h *handshaker) deny(conn net.Conn) {
	if h.ctx.Err() != nil { // shutting down: the hub refuses everyone, no limit was reached
		conn.Close()
		return
	}
	h.e.conns.CountDenied()
	h.e.verbosef("New connection denied: connection limit reached (%d)", h.e.cfg.MaxConns)
	conn.Close()
}

// wait waits for the handshakes under way; cancel their ctx first.
func (h *handshaker) wait() { h.wg.Wait() }
