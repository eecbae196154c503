// Package proxy is gnc's proxy client: it connects to a destination through
// an HTTP CONNECT, SOCKS4/4a or SOCKS5 proxy (--proxy), authenticating with
// --proxy-auth (HTTP Basic or Digest, SOCKS5 username/password, SOCKS4 user
// id), and returns a net.Conn that carries the destination's bytes. It does
// not relay data or run proxy servers.
//
// Typical usage:
//
//	conn, err := proxy.Dial(ctx, proxy.Options{
//		Type: "socks5", Addr: "127.0.0.1:1080",
//		Host: "example.org", Port: 80, Timeout: 10 * time.Second,
//	})
package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gnc/internal/transport"
)

// Options says which proxy to use and where to go through it. The zero
// value of each field is documented as its default.
type Options struct {
	// Type is "http" (CONNECT), "socks4" or "socks5"; "" means "http".
	Type string
	// Addr is the proxy as --proxy takes it: host, host:port, or
	// [v6]:port. Without a port: 3128 for http, 1080 for SOCKS.
	Addr string
	// Auth is --proxy-auth, "user[:pass]"; "" means no credentials.
	Auth string
	// DNS is where the destination name is resolved: "remote" (by the
	// proxy; also ""), "local", "both" (local first, else remote) or
	// "none" (IP literals only).
	DNS string
	// Host and Port are the destination.
	Host string
	Port int
	// Family restricts resolution to IPv4 (4) or IPv6 (6): the proxy's
	// address, and the destination's when it is resolved locally. 0 = any.
	Family int
	// NoDNS refuses a proxy address that is not numeric (-n). The
	// destination follows DNS instead.
	NoDNS bool
	// SourceAddr and SourcePort bind the connection to the proxy (-s, -p);
	// SourcePort < 0 lets the kernel choose.
	SourceAddr string
	SourcePort int
	// Timeout bounds the whole setup: connecting to the proxy and every
	// handshake, reconnections included (-w). 0 means no bound.
	Timeout time.Duration
	// Logf receives the -v lines ("Connected to proxy …"); nil discards.
	Logf func(format string, args ...any)
	// Debugf receives the -vv lines (proxy replies); nil discards.
	Debugf func(format string, args ...any)
	// Dial connects to the proxy; nil means transport.Dial.
	Dial func(ctx context.Context, o transport.DialOptions) (net.Conn, error)
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Options) debugf(format string, args ...any) {
	if o.Debugf != nil {
		o.Debugf(format, args...)
	}
}

func (o *Options) dial(ctx context.Context, d transport.DialOptions) (net.Conn, error) {
	if o.Dial != nil {
		return o.Dial(ctx, d)
	}
	return transport.Dial(ctx, d)
}

// Error is a failed proxy connection or handshake, worded for gnc's stderr
// ("Proxy returned status code 403 (Forbidden)."). Err, if not nil, is the
// underlying cause.
type Error struct {
	Msg string
	Err error
	hop int // the chain hop the message names; 0 when it names none
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func errorf(cause error, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Err: cause}
}

// ResolveError is a proxy name that does not resolve; ncat treats it as
// fatal. It unwraps to the *transport.ResolveError.
type ResolveError struct {
	Proxy string
	Err   *transport.ResolveError
}

func (e *ResolveError) Error() string {
	return fmt.Sprintf("Could not resolve proxy %q: %s.", e.Proxy, e.Err.Reason)
}
func (e *ResolveError) Unwrap() error { return e.Err }

// AddrError is a --proxy value that cannot be a proxy address.
type AddrError struct{ Addr, Reason string }

func (e *AddrError) Error() string {
	return fmt.Sprintf("Invalid proxy address %q: %s.", e.Addr, e.Reason)
}

// DefaultPort is the proxy port used when --proxy names none.
func DefaultPort(typ string) int {
	if typ == "socks4" || typ == "socks5" {
		return 1080
	}
	return 3128
}

// SplitAddr splits a --proxy value into host and port, using typ's default
// port when there is none. IPv6 literals must be bracketed when a port
// follows: [::1]:8080.
func SplitAddr(addr, typ string) (host string, port int, err error) {
	bad := func(reason string) (string, int, error) { return "", 0, &AddrError{Addr: addr, Reason: reason} }
	host, portStr := addr, ""
	switch {
	case addr == "":
		return bad("empty")
	case strings.HasPrefix(addr, "["):
		end := strings.IndexByte(addr, ']')
		if end < 0 {
			return bad("missing ']'")
		}
		host, portStr = addr[1:end], addr[end+1:]
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
			return bad("not an IPv6 address in brackets")
		}
		if portStr != "" {
			if portStr[0] != ':' {
				return bad("junk after ']'")
			}
			portStr = portStr[1:]
			if portStr == "" {
				return bad("empty port")
			}
		}
	case strings.Count(addr, ":") > 1:
		return bad("an IPv6 proxy address needs brackets, as in [::1]:8080")
	case strings.Contains(addr, ":"):
		i := strings.IndexByte(addr, ':')
		host, portStr = addr[:i], addr[i+1:]
		if portStr == "" {
			return bad("empty port")
		}
	}
	if host == "" {
		return bad("empty host")
	}
	if portStr == "" {
		return host, DefaultPort(typ), nil
	}
	for _, c := range portStr {
		if c < '0' || c > '9' {
			return bad(fmt.Sprintf("invalid port number %q", portStr))
		}
	}
	p, err := strconv.Atoi(portStr)
	if err != nil || p < 1 || p > 65535 {
		return bad(fmt.Sprintf("invalid port number %q", portStr))
	}
	return host, p, nil
}

// Dial connects to o.Host:o.Port through the proxy. The returned conn is
// the bare connection to the proxy (a *net.TCPConn from transport.Dial)
// when the proxy sent nothing past its reply; otherwise a wrapper that
// returns those early bytes first. TLS to the destination goes on top of
// the returned conn. A failed resolution of the proxy's address is a
// *ResolveError (unwrapping to a *transport.ResolveError); every other
// failure is an *Error.
//
// o.Addr may name a chain, "a,b,c": gnc connects to a, asks a for a tunnel
// to b, through it asks b for c, and c for the destination. Every hop
// speaks o.Type and gets o.Auth; o.DNS applies to each hop's target (the
// next proxy's name, then the destination); o.Timeout bounds the whole.
func Dial(ctx context.Context, o Options) (net.Conn, error) {
	hops := strings.Split(o.Addr, ",")
	if len(hops) == 1 {
		return dialHop(ctx, o)
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	dial := o.Dial
	for i, hop := range hops[:len(hops)-1] {
		inner := o
		inner.Addr, inner.Dial = hop, dial
		dial = func(ctx context.Context, d transport.DialOptions) (net.Conn, error) {
			if o.NoDNS { // -n: the next proxy must be an address too
				var re *transport.ResolveError
				if _, err := transport.Resolve(ctx, d.Host, 0, true); errors.As(err, &re) {
					return nil, &ResolveError{Proxy: d.Host, Err: re}
				}
			}
			h := inner
			h.Host, h.Port = d.Host, d.Port
			c, err := dialHop(ctx, h)
			return c, hopError(err, i+1, hop)
		}
	}
	last := o
	last.Addr, last.Dial = hops[len(hops)-1], dial
	c, err := dialHop(ctx, last)
	return c, hopError(err, len(hops), last.Addr)
}

// hopError names the chain hop in an *Error that names none yet.
func hopError(err error, hop int, addr string) error {
	var pe *Error
	if !errors.As(err, &pe) || pe.hop != 0 {
		return err
	}
	return &Error{Msg: fmt.Sprintf("Proxy chain, hop %d (%s): %s", hop, addr, pe.Msg), Err: pe.Err, hop: hop}
}

// dialHop is Dial through one proxy, o.Addr.
func dialHop(ctx context.Context, o Options) (net.Conn, error) {
	if o.Type == "" {
		o.Type = "http"
	}
	if o.DNS == "" {
		o.DNS = "remote"
	}
	proxyHost, proxyPort, err := SplitAddr(o.Addr, o.Type)
	if err != nil {
		return nil, err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	dst, err := o.target(ctx)
	if err != nil {
		return nil, err
	}
	connect := func() (net.Conn, error) {
		c, err := o.dial(ctx, transport.DialOptions{
			Network:    "tcp",
			Family:     o.Family,
			Host:       proxyHost,
			Port:       proxyPort,
			NoDNS:      o.NoDNS,
			SourceAddr: o.SourceAddr,
			SourcePort: o.SourcePort,
			Timeout:    o.Timeout,
			Logf:       o.Debugf,
		})
		var re *transport.ResolveError
		var pre *ResolveError
		var pe *Error
		switch {
		case errors.As(err, &pre), errors.As(err, &pe):
			return nil, err // from the hop before, in a chain
		case errors.As(err, &re):
			return nil, &ResolveError{Proxy: proxyHost, Err: re}
		case err != nil:
			return nil, errorf(err, "Proxy connection failed: %s", transport.Describe(err))
		}
		if o.Dial != nil {
			o.logf("Connected to proxy %s:%d", proxyHost, proxyPort) // through a tunnel
		} else {
			o.logf("Connected to proxy %s", transport.FormatAddr(c.RemoteAddr()))
		}
		return c, nil
	}
	var conn net.Conn
	var br *bufio.Reader
	switch o.Type {
	case "http":
		conn, br, err = httpConnect(ctx, &o, dst, connect)
	case "socks4", "socks5":
		if conn, err = connect(); err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(conn, 512)
		err = handshake(ctx, conn, func() error {
			if o.Type == "socks4" {
				return socks4Connect(conn, br, &o, dst)
			}
			return socks5Connect(conn, br, &o, dst)
		})
	default:
		return nil, errorf(nil, "Invalid proxy type %q.", o.Type)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	if n := br.Buffered(); n > 0 {
		early, _ := br.Peek(n)
		return newPrefixConn(conn, early), nil
	}
	return conn, nil
}

// handshake runs fn with conn's deadline set from ctx, so a slow proxy or
// a cancelled ctx ends it; the deadline is cleared afterwards.
func handshake(ctx context.Context, conn net.Conn, fn func() error) error {
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	err := fn()
	if !stop() && err != nil && errors.Is(ctx.Err(), context.Canceled) {
		// Interrupted (a signal), not timed out as the read error says.
		return errorf(ctx.Err(), "Proxy handshake interrupted.")
	}
	if err == nil {
		conn.SetDeadline(time.Time{})
	}
	return err
}

// readError words a failed read of a proxy's reply.
func readError(err error, what string) *Error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(err, "Error: short response from proxy: the connection closed in the %s.", what)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errorf(err, "Error: no complete %s from proxy: TIMEOUT.", what)
	case errors.Is(err, errTooLong):
		return errorf(err, "Error: malformed %s from proxy: too long.", what)
	}
	return errorf(err, "Error reading proxy %s: %s", what, transport.Describe(err))
}

// writeError words a failed send to the proxy.
func writeError(err error) *Error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errorf(err, "Error: sending proxy request: TIMEOUT.")
	}
	return errorf(err, "Error: sending proxy request: %s", transport.Describe(err))
}

// target is the destination as the proxy will be asked for it.
type target struct {
	// ip is valid when the destination is an address (a literal or
	// resolved here); otherwise name goes to the proxy.
	ip   netip.Addr
	name string
	port int
}

// hostPort is the destination as HTTP CONNECT names it.
func (t target) hostPort() string {
	if t.ip.IsValid() {
		return net.JoinHostPort(t.ip.String(), strconv.Itoa(t.port))
	}
	return net.JoinHostPort(t.name, strconv.Itoa(t.port))
}

// target applies --proxy-dns to the destination.
func (o *Options) target(ctx context.Context) (target, error) {
	t := target{name: o.Host, port: o.Port}
	if o.Port < 0 || o.Port > 65535 {
		return t, errorf(nil, "Invalid destination port %d.", o.Port)
	}
	if ip, err := netip.ParseAddr(o.Host); err == nil {
		t.ip = ip.Unmap()
		if o.Type == "socks4" && t.ip.Is6() {
			return t, errorf(nil, "Error: IPv6 addresses are not supported with Socks4.")
		}
		return t, nil
	}
	if o.Host == "" || len(o.Host) > 255 {
		return t, errorf(nil, "Error: invalid destination host name %q.", o.Host)
	}
	switch o.DNS {
	case "none":
		return t, errorf(nil, "Error: %s is not an IP address and --proxy-dns none resolves no names.", o.Host)
	case "remote":
		o.logf("Host %s will be resolved by the proxy.", o.Host)
		return t, nil
	}
	family := o.Family
	if family == 0 && o.Type == "socks4" {
		family = 4
	}
	addrs, err := transport.Resolve(ctx, o.Host, family, false)
	if err != nil || len(addrs) == 0 {
		if o.DNS == "both" {
			o.logf("Host %s will be resolved by the proxy.", o.Host)
			return t, nil
		}
		if o.Type == "socks4" && o.Family == 0 {
			if _, err6 := transport.Resolve(ctx, o.Host, 6, false); err6 == nil {
				return t, errorf(err, "Error: IPv6 addresses are not supported with Socks4.")
			}
		}
		return t, errorf(err, "Error: Failed to resolve host %s locally.", o.Host)
	}
	t.ip = addrs[0]
	o.logf("Host %s locally resolved to %s.", o.Host, t.ip)
	return t, nil
}

// prefixConn is a connection whose first bytes were already read (the
// proxy sent them right after its reply). Its WriteTo and ReadFrom hand the
// rest to the inner connection's own, so a *net.TCPConn still splices.
type prefixConn struct {
	net.Conn
	early []byte
}

func newPrefixConn(c net.Conn, early []byte) *prefixConn {
	return &prefixConn{Conn: c, early: append([]byte(nil), early...)}
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.early) > 0 {
		n := copy(p, c.early)
		c.early = c.early[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// WriteTo writes the early bytes, then copies the connection to w.
func (c *prefixConn) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(c.early) > 0 {
		n, err := w.Write(c.early)
		total += int64(n)
		c.early = c.early[n:]
		if err != nil {
			return total, err
		}
	}
	n, err := io.Copy(w, c.Conn)
	return total + n, err
}

// ReadFrom copies r to the connection with the inner connection's own
// ReadFrom (sendfile or splice for a *net.TCPConn).
func (c *prefixConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(c.Conn, r)
}

// CloseWrite half-closes the inner connection.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return &net.OpError{Op: "close", Net: "tcp", Err: syscall.ENOTSUP}
}

// CloseRead shuts the inner connection's reading side.
func (c *prefixConn) CloseRead() error {
	if cr, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return &net.OpError{Op: "close", Net: "tcp", Err: syscall.ENOTSUP}
}

// NetConn returns the connection to the proxy, as tls.Conn's does.
func (c *prefixConn) NetConn() net.Conn { return c.Conn }
