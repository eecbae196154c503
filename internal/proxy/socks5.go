package proxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
)

// SOCKS5 wire values (RFC 1928, RFC 1929).
const (
	socks5Version    = 5
	socks5CmdConnect = 1

	socks5NoAuth       = 0
	socks5UserPass     = 2
	socks5NoAcceptable = 0xff

	socks5AtypIPv4   = 1
	socks5AtypDomain = 3
	socks5AtypIPv6   = 4

	userPassVersion = 1
)

// socks5Reply is a SOCKS5 reply code (REP).
type socks5Reply byte

func (r socks5Reply) String() string {
	switch r {
	case 0:
		return "succeeded"
	case 1:
		return "general SOCKS server failure"
	case 2:
		return "connection not allowed by ruleset"
	case 3:
		return "network unreachable"
	case 4:
		return "host unreachable"
	case 5:
		return "connection refused"
	case 6:
		return "TTL expired"
	case 7:
		return "command not supported"
	case 8:
		return "address type not supported"
	}
	return "unknown reply code"
}

// socks5Greeting is the method offer: no authentication, plus
// username/password when there are credentials.
func socks5Greeting(withAuth bool) []byte {
	if withAuth {
		return []byte{socks5Version, 2, socks5NoAuth, socks5UserPass}
	}
	return []byte{socks5Version, 1, socks5NoAuth}
}

// socks5UserPassRequest is the RFC 1929 sub-negotiation for "user[:pass]".
func socks5UserPassRequest(auth string) ([]byte, error) {
	user, pass, _ := strings.Cut(auth, ":")
	if len(user) == 0 || len(user) > 255 || len(pass) > 255 {
		return nil, errorf(nil, "Error: SOCKS5 user name must be 1 to 255 bytes and password at most 255.")
	}
	b := []byte{userPassVersion, byte(len(user))}
	b = append(b, user...)
	b = append(b, byte(len(pass)))
	return append(b, pass...), nil
}

// socks5Request is the CONNECT request for t: ATYP 1 or 4 for an address,
// 3 (the name, resolved by the proxy) otherwise.
func socks5Request(t target) ([]byte, error) {
	b := []byte{socks5Version, socks5CmdConnect, 0}
	switch {
	case t.ip.Is4():
		ip := t.ip.As4()
		b = append(b, socks5AtypIPv4)
		b = append(b, ip[:]...)
	case t.ip.IsValid():
		ip := t.ip.As16()
		b = append(b, socks5AtypIPv6)
		b = append(b, ip[:]...)
	default:
		if len(t.name) == 0 || len(t.name) > 255 {
			return nil, errorf(nil, "Error: host name must be 1 to 255 bytes for SOCKS5.")
		}
		b = append(b, socks5AtypDomain, byte(len(t.name)))
		b = append(b, t.name...)
	}
	return binary.BigEndian.AppendUint16(b, uint16(t.port)), nil
}

var (
	errSocks5Version = errors.New("wrong SOCKS version")
	errSocks5Atyp    = errors.New("invalid bind address type")
)

// parseSocks5Method reads the server's method choice.
func parseSocks5Method(r io.Reader) (byte, error) {
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	if b[0] != socks5Version {
		return 0, errSocks5Version
	}
	return b[1], nil
}

// parseUserPassReply reads the RFC 1929 status; 0 is success.
func parseUserPassReply(r io.Reader) (byte, error) {
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	// RFC 1929 says version 1; some servers answer 5.
	if b[0] != userPassVersion && b[0] != socks5Version {
		return 0, errSocks5Version
	}
	return b[1], nil
}

// parseSocks5Reply reads a whole CONNECT reply, bound address included, so
// no reply byte is left for the relay.
func parseSocks5Reply(r io.Reader) (socks5Reply, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	if h[0] != socks5Version {
		return 0, errSocks5Version
	}
	var n int
	switch h[3] {
	case socks5AtypIPv4:
		n = 4
	case socks5AtypIPv6:
		n = 16
	case socks5AtypDomain:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0, noEOF(err)
		}
		n = int(l[0])
	default:
		return socks5Reply(h[1]), errSocks5Atyp
	}
	var rest [255 + 2]byte
	if _, err := io.ReadFull(r, rest[:n+2]); err != nil {
		return 0, noEOF(err)
	}
	return socks5Reply(h[1]), nil
}

// noEOF makes a clean EOF in the middle of a message unexpected.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func socks5Connect(conn net.Conn, r io.Reader, o *Options, t target) error {
	req, err := socks5Request(t)
	if err != nil {
		return err
	}
	var auth []byte
	if o.Auth != "" {
		if auth, err = socks5UserPassRequest(o.Auth); err != nil {
			return err
		}
	}
	if _, err := conn.Write(socks5Greeting(auth != nil)); err != nil {
		return writeError(err)
	}
	method, err := parseSocks5Method(r)
	switch {
	case errors.Is(err, errSocks5Version):
		return errorf(err, "Error: wrong SOCKS version in connect response.")
	case err != nil:
		return readError(err, "SOCKS5 method choice")
	}
	switch {
	case method == socks5NoAuth:
		o.logf("No authentication needed.")
	case method == socks5UserPass && auth != nil:
		o.logf("Doing username and password authentication.")
		if _, err := conn.Write(auth); err != nil {
			return writeError(err)
		}
		status, err := parseUserPassReply(r)
		switch {
		case errors.Is(err, errSocks5Version):
			return errorf(err, "Error: malformed proxy authentication response.")
		case err != nil:
			return readError(err, "SOCKS5 authentication reply")
		case status != 0:
			return errorf(nil, "Error: authentication failed (the SOCKS5 proxy refused the user name or password).")
		}
	case method == socks5NoAcceptable && auth == nil:
		return errorf(nil, "Error: no acceptable authentication method proposed (the SOCKS5 proxy wants credentials: use --proxy-auth).")
	case method == socks5NoAcceptable:
		return errorf(nil, "Error: no acceptable authentication method proposed.")
	default:
		return errorf(nil, "Error: proxy selected invalid authentication method %d.", method)
	}
	if _, err := conn.Write(req); err != nil {
		return writeError(err)
	}
	code, err := parseSocks5Reply(r)
	switch {
	case errors.Is(err, errSocks5Version):
		return errorf(err, "Error: wrong SOCKS version in request response.")
	case errors.Is(err, errSocks5Atyp) && code == 0:
		return errorf(err, "Error: invalid proxy bind address type.")
	case errors.Is(err, errSocks5Atyp):
		// A failure reply with junk after the code: the code still says why.
	case err != nil:
		return readError(err, "SOCKS5 reply")
	}
	o.debugf("SOCKS5 proxy replied %d (%s).", byte(code), code)
	if code != 0 {
		return errorf(nil, "Proxy connection failed: SOCKS5 reply %d, %s.", byte(code), code)
	}
	return nil
}
