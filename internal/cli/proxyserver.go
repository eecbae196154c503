package cli

import (
	"context"
	"errors"
	"net"

	"gnc/internal/proxyserver"
)

// serveProxy runs -l --proxy-type http|socks5: always multi-client, up to
// -m clients at once, each tunnel closed after -i of silence. stdin and
// stdout are not used.
func (e *env) serveProxy(ctx context.Context) error {
	o := e.proxyServerOptions()
	lns, secure, err := e.listenStream(ctx)
	if err != nil {
		return err
	}
	defer e.untrackListeners()
	if secure != nil {
		o.WrapConn = func(ctx context.Context, c net.Conn) (net.Conn, error) {
			if tc := secure(ctx, c); tc != nil {
				return tc, nil
			}
			return nil, errTLSHandshake // secure has closed c and said why
		}
	}
	err = proxyserver.Serve(ctx, lns, o)
	return ignoreCancel(err)
}

// errTLSHandshake is a proxy client's failed TLS handshake.
var errTLSHandshake = errors.New("TLS handshake failed")

// proxyServerOptions are the proxy server's options from the Config, with
// --allow/--deny as its Allow hook and the run's connection table, where
// the server counts its clients, refusals included (serveProxy adds --ssl
// as WrapConn and lists the listeners).
func (e *env) proxyServerOptions() proxyserver.Options {
	c := e.cfg
	o := proxyserver.Options{
		Type:           c.ProxyType,
		Auth:           e.proxyAuth(), // NCAT_PROXY_AUTH too, as ncat's server
		MaxConns:       c.MaxConns,
		IdleTimeout:    c.IdleTimeout,
		ConnectTimeout: c.ConnectTimeout,
		// -w (default 10 s) also bounds how long a client may take to
		// send its request: a silent or slow client is dropped then.
		HandshakeTimeout: c.ConnectTimeout,
		Conns:            e.conns,
	}
	if e.access != nil {
		o.Allow = e.access.AllowedAddr
	}
	if c.MaxConns == 0 {
		o.MaxConns = -1 // -m 0: nobody is served, as with -k
	}
	if c.Verbose >= 1 { // nil without -v: the server then skips formatting
		o.Logf = e.verbosef
	}
	if c.Verbose >= 2 {
		o.Debugf = e.debugf
	}
	return o
}
