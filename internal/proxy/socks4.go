package proxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
)

// SOCKS4 wire values.
const (
	socks4Version    = 4
	socks4CmdConnect = 1
)

// socks4Reply is a SOCKS4 reply code (CD).
type socks4Reply byte

const (
	socks4Granted       socks4Reply = 90
	socks4Rejected      socks4Reply = 91
	socks4NoIdentd      socks4Reply = 92
	socks4IdentMismatch socks4Reply = 93
)

func (r socks4Reply) String() string {
	switch r {
	case socks4Granted:
		return "request granted"
	case socks4Rejected:
		return "request rejected or failed"
	case socks4NoIdentd:
		return "rejected: the proxy cannot reach identd on this host"
	case socks4IdentMismatch:
		return "rejected: identd reports a different user id"
	}
	return "unknown reply code"
}

// socks4Request builds a SOCKS4 CONNECT request, or SOCKS4a (address
// 0.0.0.1 followed by the name) when t has no address. The user id is the
// whole --proxy-auth value, as ncat sends it.
func socks4Request(t target, userID string) ([]byte, error) {
	if len(userID) > 255 || len(t.name) > 255 {
		return nil, errorf(nil, "Error: SOCKS4 user id or host name longer than 255 bytes.")
	}
	b := []byte{socks4Version, socks4CmdConnect, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(t.port))
	switch {
	case t.ip.Is4():
		ip := t.ip.As4()
		b = append(b, ip[:]...)
	case t.ip.IsValid():
		return nil, errorf(nil, "Error: IPv6 addresses are not supported with Socks4.")
	default:
		b = append(b, 0, 0, 0, 1)
	}
	b = append(b, userID...)
	b = append(b, 0)
	if !t.ip.IsValid() {
		b = append(b, t.name...)
		b = append(b, 0)
	}
	return b, nil
}

// errSocks4Version is a reply whose first byte is not 0.
var errSocks4Version = errors.New("reply version is not 0")

// parseSocks4Reply reads the 8-byte SOCKS4 reply and returns its code.
func parseSocks4Reply(r io.Reader) (socks4Reply, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	if b[0] != 0 {
		return 0, errSocks4Version
	}
	return socks4Reply(b[1]), nil
}

func socks4Connect(conn net.Conn, r io.Reader, o *Options, t target) error {
	req, err := socks4Request(t, o.Auth)
	if err != nil {
		return err
	}
	if _, err := conn.Write(req); err != nil {
		return writeError(err)
	}
	code, err := parseSocks4Reply(r)
	switch {
	case errors.Is(err, errSocks4Version):
		return errorf(err, "Error: malformed connect response from proxy (not a SOCKS4 reply).")
	case err != nil:
		return readError(err, "SOCKS4 reply")
	}
	o.debugf("SOCKS4 proxy replied %d (%s).", code, code)
	if code != socks4Granted {
		return errorf(nil, "Proxy connection failed: SOCKS4 reply %d, %s.", byte(code), code)
	}
	return nil
}
