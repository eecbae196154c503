package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"
)

// HTTP reply limits: a hostile proxy cannot make gnc buffer more.
const (
	maxLineBytes   = 8 << 10 // also the reader's buffer size
	maxHeaderBytes = 64 << 10
	maxHeaderLines = 100
)

var (
	errTooLong   = errors.New("reply too long")
	errMalformed = errors.New("malformed reply")
)

// httpReply is a proxy's status line and headers.
type httpReply struct {
	proto  string // "HTTP/1.0"
	code   int
	reason string
	header textproto.MIMEHeader
}

// statusLine is the reply's first line, made safe to print.
func (r *httpReply) statusLine() string {
	return printable(strings.TrimSpace(r.proto + " " + strconv.Itoa(r.code) + " " + r.reason))
}

// readLine reads one line ending in LF (CRLF or bare LF), without the
// ending, refusing lines longer than the reader's buffer.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", errTooLong
	case err != nil:
		return "", err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// parseHTTPReply reads a status line and headers up to the empty line,
// leaving anything after it in br.
func parseHTTPReply(br *bufio.Reader) (*httpReply, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	r := &httpReply{header: textproto.MIMEHeader{}}
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/") || len(proto) > 16 {
		return nil, errMalformed
	}
	code, reason, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' {
		return nil, errMalformed
	}
	r.proto, r.reason = proto, reason
	r.code, _ = strconv.Atoi(code)
	total := len(line)
	for lines := 0; ; lines++ {
		line, err := readLine(br)
		if err != nil {
			return nil, noEOF(err)
		}
		if line == "" {
			return r, nil
		}
		total += len(line)
		if lines >= maxHeaderLines || total > maxHeaderBytes {
			return nil, errTooLong
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // obsolete line folding: ignored
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, errMalformed
		}
		r.header.Add(textproto.CanonicalMIMEHeaderKey(k), strings.TrimSpace(v))
	}
}

// connectRequest is the CONNECT request ncat sends, with an optional
// Proxy-Authorization value.
func connectRequest(hostPort, authorization string) []byte {
	s := "CONNECT " + hostPort + " HTTP/1.0\r\n"
	if authorization != "" {
		s += "Proxy-Authorization: " + authorization + "\r\n"
	}
	return []byte(s + "\r\n")
}

// basicAuthorization is the Basic credentials for "user[:pass]".
func basicAuthorization(auth string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(auth))
}

// httpConnect asks an HTTP proxy for a tunnel. Without credentials in the
// first request (as ncat), a 407 with --proxy-auth makes it reconnect and
// answer the challenge: Digest when offered, else Basic.
func httpConnect(ctx context.Context, o *Options, t target, connect func() (net.Conn, error)) (net.Conn, *bufio.Reader, error) {
	hostPort := t.hostPort()
	try := func(authorization string) (net.Conn, *bufio.Reader, *httpReply, error) {
		conn, err := connect()
		if err != nil {
			return nil, nil, nil, err
		}
		br := bufio.NewReaderSize(conn, maxLineBytes)
		var rep *httpReply
		err = handshake(ctx, conn, func() error {
			if _, err := conn.Write(connectRequest(hostPort, authorization)); err != nil {
				return writeError(err)
			}
			var err error
			if rep, err = parseHTTPReply(br); err != nil {
				if errors.Is(err, errMalformed) {
					return errorf(err, "Error: malformed HTTP reply from proxy.")
				}
				return readError(err, "HTTP reply")
			}
			return nil
		})
		if err != nil {
			conn.Close()
			return nil, nil, nil, err
		}
		o.debugf("Proxy returned status code %d.", rep.code)
		return conn, br, rep, nil
	}
	conn, br, rep, err := try("")
	if err != nil {
		return nil, nil, err
	}
	if rep.code/100 == 2 {
		return conn, br, nil
	}
	conn.Close()
	if rep.code != 407 {
		return nil, nil, statusError(rep, "")
	}
	if o.Auth == "" {
		return nil, nil, statusError(rep, "the proxy wants credentials: use --proxy-auth")
	}
	authorization, err := authorize(rep.header.Values("Proxy-Authenticate"), o.Auth, hostPort, newCnonce())
	if err != nil {
		return nil, nil, err
	}
	o.debugf("Reconnecting to the proxy with %s credentials.", strings.Fields(authorization)[0])
	conn, br, rep, err = try(authorization)
	if err != nil {
		return nil, nil, err
	}
	if rep.code/100 == 2 {
		return conn, br, nil
	}
	conn.Close()
	if rep.code == 407 {
		return nil, nil, statusError(rep, "the proxy refused the credentials")
	}
	return nil, nil, statusError(rep, "")
}

func statusError(rep *httpReply, hint string) *Error {
	msg := "Proxy returned status code " + strconv.Itoa(rep.code) + " (" + rep.statusLine() + ")"
	if hint != "" {
		msg += "; " + hint
	}
	return errorf(nil, "%s.", msg)
}

// printable keeps printable ASCII of s (at most 200 bytes), so a hostile
// reply cannot write control sequences to the terminal.
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 200; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
