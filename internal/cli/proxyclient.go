package cli

import (
	"context"
	"net"
	"os"
	"strconv"

	"gnc/internal/proxy"
)

// proxyAuth is --proxy-auth, or the NCAT_PROXY_AUTH environment variable
// when the option is absent, as ncat does.
func (e *env) proxyAuth() string {
	if e.cfg.ProxyAuth != "" {
		return e.cfg.ProxyAuth
	}
	getenv := e.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return getenv("NCAT_PROXY_AUTH")
}

// dialProxy connects to the target through --proxy. The returned conn
// carries the target's bytes; TLS to the target goes on top of it.
func (e *env) dialProxy(ctx context.Context) (net.Conn, error) {
	c := e.cfg
	var logf func(string, ...any)
	if c.Verbose >= 1 {
		logf = e.verbosef
	}
	return proxy.Dial(ctx, proxy.Options{
		Type:       c.ProxyType,
		Addr:       c.ProxyAddr,
		Auth:       e.proxyAuth(),
		DNS:        c.ProxyDNS,
		Host:       c.Host,
		Port:       c.Port,
		Family:     c.Family,
		NoDNS:      c.NoDNS,
		SourceAddr: c.SourceAddr,
		SourcePort: c.SourcePort,
		Timeout:    c.ConnectTimeout,
		Logf:       logf,
		Debugf:     e.logfOrNil(),
	})
}

// proxiedName is the target as the "Connected to" line names it through a
// proxy: as given, since the proxy may have resolved it.
// targetName is how connect mode names the peer of conn: the target with
// the proxy it was reached through, or conn's remote address.
func (e *env) targetName(conn net.Conn) string {
	if e.cfg.ProxyAddr != "" {
		return e.proxiedName()
	}
	return peerName(conn.RemoteAddr(), e.cfg.Host)
}

func (e *env) proxiedName() string {
	return e.cfg.Host + ":" + strconv.Itoa(e.cfg.Port) + " through the " + e.cfg.ProxyType + " proxy"
}
