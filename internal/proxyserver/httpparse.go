package proxyserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Bounds on a request head: a longer line, a larger head or more header
// fields is refused (400) and the client dropped.
const (
	maxLineBytes   = 8 << 10
	maxHeadBytes   = 64 << 10
	maxHeaderLines = 100
)

// errHeadTooLarge is a request head over the bounds above.
var errHeadTooLarge = errors.New("request header too large")

// request is a parsed HTTP request head.
type request struct {
	method string
	target string // the request-target as sent
	proto  string // "HTTP/1.0" or "HTTP/1.1"
	header []field
}

// field is one header field, its name as sent.
type field struct{ name, value string }

// get returns the first value of the named field and whether it exists.
func (r *request) get(name string) (string, bool) {
	for _, f := range r.header {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// count is how many fields have the name.
func (r *request) count(name string) int {
	n := 0
	for _, f := range r.header {
		if strings.EqualFold(f.name, name) {
			n++
		}
	}
	return n
}

// persistent says whether the client may send another request on the
// connection after this one (RFC 9112 9.3): HTTP/1.1 unless it asked to
// close, HTTP/1.0 only if it asked to keep the connection alive. Both
// Connection and the older Proxy-Connection are heeded.
func (r *request) persistent() bool {
	keep, closing := false, false
	for _, f := range r.header {
		if !strings.EqualFold(f.name, "Connection") && !strings.EqualFold(f.name, "Proxy-Connection") {
			continue
		}
		for _, token := range strings.Split(f.value, ",") {
			switch strings.ToLower(strings.TrimSpace(token)) {
			case "close":
				closing = true
			case "keep-alive":
				keep = true
			}
		}
	}
	if closing {
		return false
	}
	return r.proto == "HTTP/1.1" || keep
}

// readRequest reads and checks one request head from br. The body, if
// any, stays in br.
func readRequest(br *bufio.Reader) (*request, error) {
	total := 0
	line, err := readLine(br, &total)
	if err != nil {
		return nil, err
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" || strings.ContainsAny(target, " \t") {
		return nil, fmt.Errorf("malformed request line %q", line)
	}
	if proto != "HTTP/1.0" && proto != "HTTP/1.1" {
		return nil, fmt.Errorf("unsupported protocol %q", proto)
	}
	r := &request{method: method, target: target, proto: proto}
	for {
		line, err := readLine(br, &total)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return r, nil
		}
		if len(r.header) == maxHeaderLines {
			return nil, errHeadTooLarge
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) {
			return nil, fmt.Errorf("malformed header line %q", line)
		}
		r.header = append(r.header, field{name, strings.Trim(value, " \t")})
	}
}

// readLine reads one line ending in LF (CRLF or a bare LF), without it,
// adding its length to *total and failing past the bounds.
func readLine(br *bufio.Reader, total *int) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		b = append(b, chunk...)
		*total += len(chunk)
		if len(b) > maxLineBytes || *total > maxHeadBytes {
			return "", errHeadTooLarge
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return "", err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "", fmt.Errorf("control character in request head")
		}
	}
	return string(b), nil
}

// isToken says whether s is a non-empty HTTP token (RFC 9110 tchar).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// splitAuthority splits "host:port" (or "[v6]:port") into a host and a
// port in 1-65535. With defPort > 0 a missing port is defPort.
func splitAuthority(authority string, defPort int) (host string, port int, err error) {
	if authority == "" || strings.ContainsAny(authority, "@/?#") {
		return "", 0, fmt.Errorf("bad authority %q", authority)
	}
	h, p, err := net.SplitHostPort(authority)
	if err != nil {
		if defPort == 0 {
			return "", 0, fmt.Errorf("bad authority %q: a port is required", authority)
		}
		h, p = authority, strconv.Itoa(defPort)
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			h = h[1 : len(h)-1]
		}
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || p[0] == '+' || p[0] == '-' {
		return "", 0, fmt.Errorf("bad port in %q", authority)
	}
	if h == "" || strings.ContainsAny(h, "[] \t") {
		return "", 0, fmt.Errorf("bad host in %q", authority)
	}
	return h, port, nil
}

// absoluteURI splits an absolute http URI into its authority and its
// origin-form path ("/" when empty).
func absoluteURI(target string) (authority, path string, err error) {
	const scheme = "http://"
	if len(target) < len(scheme) || !strings.EqualFold(target[:len(scheme)], scheme) {
		return "", "", fmt.Errorf("not an absolute http URI: %q", target)
	}
	rest := target[len(scheme):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, path = rest[:end], rest[end:]
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return authority, path, nil
}
