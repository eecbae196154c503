package proxyserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gnc/internal/transport"
)

// HTTP statuses the proxy answers with, ncat's reason phrases.
var statusText = map[int]string{
	200: "OK",
	400: "Bad Request",
	403: "Forbidden",
	405: "Method Not Allowed",
	407: "Proxy Authentication Required",
	504: "Gateway Timeout",
}

// hopByHop are the fields a forwarded request drops (RFC 9110 7.6.1), plus
// the proxy's own credentials.
var hopByHop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization",
	"Proxy-Authenticate", "TE", "Trailer", "Upgrade", "Host"}

// authRounds bounds the 407 answers on one connection: a client may send
// its credentials on the connection that got the challenge (curl does,
// for Digest), but may not guess forever.
const authRounds = 3

// serveHTTP answers one HTTP proxy request on c (after up to authRounds
// challenges on the same connection).
func (s *server) serveHTTP(ctx context.Context, c *clientConn) {
	peer := transport.FormatAddr(c.RemoteAddr())
	c.SetReadDeadline(s.handshakeDeadline())
	br := bufio.NewReaderSize(c, 4096)
	for round := 1; ; round++ {
		req, err := readRequest(br)
		if err != nil {
			s.debugf("%s: %v", peer, err)
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isTimeout(err) && !errors.Is(err, net.ErrClosed) {
				s.reply(c, 400, nil)
			}
			return
		}
		s.debugf("%s: %s %s %s", peer, req.method, req.target, req.proto)
		if s.auth != nil {
			v, present := req.get("Proxy-Authorization")
			if res := s.auth.check(req.method, req.target, v, present); res != authOK {
				if res != authMissing {
					s.logf("%s: proxy authentication failed", peer)
				}
				// Wait for the credentials on this connection only if the
				// client will send them here, and say so: the reply is
				// HTTP/1.0, which a client takes as the connection's end
				// unless told it persists. A client that will not send
				// them here is closed at once, not held (with its -m
				// slot) until -w.
				_, hasBody := req.get("Content-Length")
				wait := round < authRounds && !hasBody && req.count("Transfer-Encoding") == 0 && req.persistent()
				lines := fieldLines("Proxy-Authenticate", s.auth.challenges(res == authStale))
				lines = append(lines, "Content-Length: 0")
				if wait {
					lines = append(lines, "Proxy-Connection: keep-alive")
				}
				s.reply(c, 407, lines)
				if !wait {
					return
				}
				continue
			}
		}
		switch req.method {
		case "CONNECT":
			s.httpConnect(ctx, c, br, req)
		case "GET", "HEAD", "POST":
			s.httpForward(ctx, c, br, req)
		default:
			s.reply(c, 405, []string{"Allow: CONNECT, GET, HEAD, POST"})
		}
		return
	}
}

// httpConnect opens a tunnel: 200, then the bytes of both sides, starting
// with any the client sent after its request.
func (s *server) httpConnect(ctx context.Context, c *clientConn, br *bufio.Reader, req *request) {
	host, port, err := splitAuthority(req.target, 0)
	if err != nil {
		s.debugf("%s: %v", transport.FormatAddr(c.RemoteAddr()), err)
		s.reply(c, 400, nil)
		return
	}
	target, err := s.dial(ctx, net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		s.logf("%s: CONNECT %s: %v", transport.FormatAddr(c.RemoteAddr()), req.target, err)
		s.reply(c, 504, nil)
		return
	}
	defer target.Close()
	stop := context.AfterFunc(ctx, func() { target.Close() })
	defer stop()
	c.SetReadDeadline(time.Time{})
	if _, err := io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n"); err != nil {
		return
	}
	if n := br.Buffered(); n > 0 {
		early, _ := br.Peek(n)
		if _, err := target.Write(early); err != nil {
			return
		}
	}
	s.runTunnel(c, target)
}

// httpForward sends a GET, HEAD or POST on as HTTP/1.0 and copies the
// response back.
func (s *server) httpForward(ctx context.Context, c *clientConn, br *bufio.Reader, req *request) {
	peer := transport.FormatAddr(c.RemoteAddr())
	head, bodyLen, err := forwardHead(req)
	if err != nil {
		s.debugf("%s: %v", peer, err)
		s.reply(c, 400, nil)
		return
	}
	authority, _, _ := absoluteURI(req.target)
	host, port, _ := splitAuthority(authority, 80) // checked by forwardHead
	addrs, err := s.resolve(ctx, host)
	if err != nil {
		s.logf("%s: %s %s: %v", peer, req.method, req.target, err)
		s.reply(c, 504, nil)
		return
	}
	for _, a := range addrs {
		if s.isSelf(netip.AddrPortFrom(a, uint16(port))) {
			s.logf("%s: %s %s: refused, the request is aimed at this proxy", peer, req.method, req.target)
			s.reply(c, 403, nil)
			return
		}
	}
	var target net.Conn
	for _, a := range addrs {
		target, err = s.dial(ctx, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		s.logf("%s: %s %s: %v", peer, req.method, req.target, err)
		s.reply(c, 504, nil)
		return
	}
	defer target.Close()
	stop := context.AfterFunc(ctx, func() { target.Close() })
	defer stop()
	if _, err := io.WriteString(target, head); err != nil {
		return
	}
	if bodyLen > 0 {
		// The body is data, not head: only -i bounds a client that stalls
		// in it.
		c.SetReadDeadline(time.Time{})
		var body io.Reader = br
		if s.o.IdleTimeout > 0 {
			body = &idleReader{r: br, c: c, idle: s.o.IdleTimeout}
		}
		if _, err := io.CopyN(target, body, bodyLen); err != nil {
			s.idleLog(err)
			return
		}
	}
	c.SetReadDeadline(time.Time{})
	s.runOneWay(c, target)
}

// forwardHead builds the HTTP/1.0 request head sent to the origin server
// and says how many body bytes follow it.
func forwardHead(req *request) (string, int64, error) {
	authority, path, err := absoluteURI(req.target)
	if err != nil {
		return "", 0, err
	}
	if _, _, err := splitAuthority(authority, 80); err != nil {
		return "", 0, err
	}
	if req.count("Transfer-Encoding") > 0 {
		return "", 0, fmt.Errorf("%s with Transfer-Encoding is not supported", req.method)
	}
	var bodyLen int64
	switch cl, ok := req.get("Content-Length"); {
	case req.count("Content-Length") > 1:
		return "", 0, errors.New("more than one Content-Length")
	case ok:
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 || cl[0] == '+' {
			return "", 0, fmt.Errorf("bad Content-Length %q", cl)
		}
		bodyLen = n
	case req.method == "POST":
		return "", 0, errors.New("POST without Content-Length")
	}
	drop := map[string]bool{}
	for _, h := range hopByHop {
		drop[strings.ToLower(h)] = true
	}
	for _, f := range req.header {
		if strings.EqualFold(f.name, "Connection") {
			for _, name := range strings.Split(f.value, ",") {
				drop[strings.ToLower(strings.TrimSpace(name))] = true
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.0\r\nHost: %s\r\n", req.method, path, authority)
	for _, f := range req.header {
		if !drop[strings.ToLower(f.name)] {
			fmt.Fprintf(&b, "%s: %s\r\n", f.name, f.value)
		}
	}
	b.WriteString("Connection: close\r\n\r\n")
	return b.String(), bodyLen, nil
}

// reply writes an HTTP/1.0 status response with the given header lines
// and no body; the connection is closed after it.
func (s *server) reply(c net.Conn, code int, lines []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.0 %d %s\r\n", code, statusText[code])
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	c.SetWriteDeadline(time.Now().Add(replyTimeout))
	io.WriteString(c, b.String())
	c.SetWriteDeadline(time.Time{}) // a 407 may be followed by a tunnel
}

// replyTimeout bounds the write of an error reply to a client that does
// not read.
const replyTimeout = 5 * time.Second

func fieldLines(name string, values []string) []string {
	lines := make([]string, len(values))
	for i, v := range values {
		lines[i] = name + ": " + v
	}
	return lines
}

// resolve returns host's addresses, or host itself when it is numeric.
func (s *server) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	if s.o.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.o.ConnectTimeout)
		defer cancel()
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, err
}

// idleReader reads r, c's buffered reader, failing once a read of c
// waits longer than idle.
type idleReader struct {
	r    io.Reader
	c    net.Conn
	idle time.Duration
}

func (ir *idleReader) Read(p []byte) (int, error) {
	ir.c.SetReadDeadline(time.Now().Add(ir.idle))
	return ir.r.Read(p)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
