package proxyserver

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"gnc/internal/transport"
)

// SOCKS5 wire constants (RFC 1928, RFC 1929).
const (
	socksVersion    = 5
	userPassVersion = 1

	methodNoAuth       = 0x00
	methodUserPass     = 0x02
	methodNoAcceptable = 0xff

	cmdConnect   = 1
	cmdBind      = 2
	cmdAssociate = 3

	atypIPv4   = 1
	atypDomain = 3
	atypIPv6   = 4
)

// replyCode is a SOCKS5 reply's REP field.
type replyCode byte

const (
	repSucceeded          replyCode = 0
	repGeneralFailure     replyCode = 1
	repNetworkUnreachable replyCode = 3
	repHostUnreachable    replyCode = 4
	repConnectionRefused  replyCode = 5
	repTTLExpired         replyCode = 6
	repCommandUnsupported replyCode = 7
	repAddressUnsupported replyCode = 8
)

// socksRequest is a parsed SOCKS5 request.
type socksRequest struct {
	cmd  byte
	host string // an IP literal or a domain name
	port uint16
}

func (r socksRequest) addr() string {
	return net.JoinHostPort(r.host, strconv.Itoa(int(r.port)))
}

// errAddressType is a request whose ATYP is unknown; its reply is 8.
var errAddressType = errors.New("socks5: unsupported address type")

// readGreeting reads the client's version and method list.
func readGreeting(r io.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	if h[0] != socksVersion {
		return nil, fmt.Errorf("socks5: version %d in greeting", h[0])
	}
	if h[1] == 0 {
		return nil, errors.New("socks5: greeting offers no method")
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return nil, err
	}
	return methods, nil
}

// readUserPass reads an RFC 1929 username/password request.
func readUserPass(r io.Reader) (user, pass string, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return "", "", err
	}
	if h[0] != userPassVersion {
		return "", "", fmt.Errorf("socks5: username/password version %d", h[0])
	}
	u := make([]byte, int(h[1])+1) // the name and the password's length
	if _, err := io.ReadFull(r, u); err != nil {
		return "", "", err
	}
	p := make([]byte, u[len(u)-1])
	if _, err := io.ReadFull(r, p); err != nil {
		return "", "", err
	}
	return string(u[:len(u)-1]), string(p), nil
}

// readSocksRequest reads a request: VER CMD RSV ATYP DST.ADDR DST.PORT.
func readSocksRequest(r io.Reader) (socksRequest, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return socksRequest{}, err
	}
	if h[0] != socksVersion {
		return socksRequest{}, fmt.Errorf("socks5: version %d in request", h[0])
	}
	req := socksRequest{cmd: h[1]}
	switch h[3] {
	case atypIPv4, atypIPv6:
		b := make([]byte, 4)
		if h[3] == atypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(r, b); err != nil {
			return socksRequest{}, err
		}
		ip, _ := netip.AddrFromSlice(b)
		req.host = ip.String()
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return socksRequest{}, err
		}
		if n[0] == 0 {
			return socksRequest{}, errors.New("socks5: empty domain name")
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(r, name); err != nil {
			return socksRequest{}, err
		}
		for _, c := range name {
			if c <= ' ' || c >= 0x7f || c == ':' || c == '[' || c == ']' {
				return socksRequest{}, fmt.Errorf("socks5: bad domain name %q", name)
			}
		}
		req.host = string(name)
	default:
		return socksRequest{}, errAddressType
	}
	var p [2]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return socksRequest{}, err
	}
	req.port = binary.BigEndian.Uint16(p[:])
	return req, nil
}

// socksReply is a reply with the bound address (zeros when a is invalid).
func socksReply(rep replyCode, a netip.AddrPort) []byte {
	b := []byte{socksVersion, byte(rep), 0}
	ip := a.Addr().Unmap()
	switch {
	case ip.Is6():
		b = append(b, atypIPv6)
		b = append(b, ip.AsSlice()...)
	case ip.Is4():
		b = append(b, atypIPv4)
		b = append(b, ip.AsSlice()...)
	default:
		b = append(b, atypIPv4, 0, 0, 0, 0)
	}
	return binary.BigEndian.AppendUint16(b, a.Port())
}

// dialReply is the reply code for a failed connection to a target.
func dialReply(err error) replyCode {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return repConnectionRefused
	case errors.Is(err, syscall.ENETUNREACH):
		return repNetworkUnreachable
	case errors.Is(err, syscall.EHOSTUNREACH), errors.As(err, &dnsErr):
		return repHostUnreachable
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return repTTLExpired
	}
	return repGeneralFailure
}

// serveSOCKS5 runs one SOCKS5 client: greeting, authentication, request,
// reply, tunnel.
func (s *server) serveSOCKS5(ctx context.Context, c *clientConn) {
	peer := transport.FormatAddr(c.RemoteAddr())
	c.SetReadDeadline(s.handshakeDeadline())
	br := bufio.NewReaderSize(c, 512)
	methods, err := readGreeting(br)
	if err != nil {
		s.debugf("%s: %v", peer, err)
		return
	}
	want := byte(methodNoAuth)
	if s.auth != nil {
		want = methodUserPass
	}
	if !contains(methods, want) {
		s.logf("%s: no acceptable SOCKS5 authentication method", peer)
		c.Write([]byte{socksVersion, methodNoAcceptable})
		return
	}
	if _, err := c.Write([]byte{socksVersion, want}); err != nil {
		return
	}
	if s.auth != nil {
		user, pass, err := readUserPass(br)
		if err != nil {
			s.debugf("%s: %v", peer, err)
			return
		}
		if !s.auth.equalCreds(user, pass) {
			s.logf("%s: proxy authentication failed", peer)
			c.Write([]byte{userPassVersion, 1})
			return
		}
		if _, err := c.Write([]byte{userPassVersion, 0}); err != nil {
			return
		}
	}
	req, err := readSocksRequest(br)
	if err != nil {
		s.debugf("%s: %v", peer, err)
		if errors.Is(err, errAddressType) {
			c.Write(socksReply(repAddressUnsupported, netip.AddrPort{}))
		}
		return
	}
	s.debugf("%s: SOCKS5 command %d to %s", peer, req.cmd, req.addr())
	if req.cmd != cmdConnect {
		c.Write(socksReply(repCommandUnsupported, netip.AddrPort{}))
		return
	}
	target, err := s.dial(ctx, req.addr())
	if err != nil {
		s.logf("%s: CONNECT %s: %v", peer, req.addr(), err)
		c.Write(socksReply(dialReply(err), netip.AddrPort{}))
		return
	}
	defer target.Close()
	stop := context.AfterFunc(ctx, func() { target.Close() })
	defer stop()
	var bound netip.AddrPort
	if a, ok := target.LocalAddr().(*net.TCPAddr); ok {
		bound = a.AddrPort()
	}
	c.SetReadDeadline(time.Time{})
	if _, err := c.Write(socksReply(repSucceeded, bound)); err != nil {
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

func contains(b []byte, x byte) bool {
	for _, c := range b {
		if c == x {
			return true
		}
	}
	return false
}
