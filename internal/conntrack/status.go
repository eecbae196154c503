package conntrack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"gnc/internal/transport"
)

// The status endpoint is a small HTTP/1.x server written here rather than
// with net/http, which would double gnc's binary (about 5 MB) for two
// read-only pages. It answers one request per connection and closes it.
const (
	// maxRequest bounds a request's line and headers.
	maxRequest = 8 << 10
	// statusTimeout bounds one client's whole exchange.
	statusTimeout = 10 * time.Second
	// maxStatusClients bounds the clients served at once; more are closed.
	maxStatusClients = 16
)

// Serve runs the status endpoint on ln until ctx ends, then closes ln and
// every connection it is serving and returns nil; it returns ln's error if
// ln fails otherwise. GET /connections is the table as JSON (WriteJSON),
// GET /metrics the totals as Prometheus text (WriteMetrics). ln is not in
// the table: it is gnc's own, not the user's.
func (r *Registry) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxStatusClients)
	err := transport.AcceptLoop(ctx, ln, nil, func(c net.Conn) {
		select {
		case slots <- struct{}{}:
		default:
			c.Close() // a flood of clients gets no more than its share
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			r.serveStatus(ctx, c)
		})
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// serveStatus answers one request on c and closes it.
func (r *Registry) serveStatus(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	c.SetDeadline(time.Now().Add(statusTimeout))
	method, path, err := readRequest(bufio.NewReader(io.LimitReader(c, maxRequest)))
	var status, ctype string
	var body bytes.Buffer
	switch {
	case err != nil:
		status, ctype = "400 Bad Request", "text/plain; charset=utf-8"
		body.WriteString("bad request\n")
	case method != "GET" && method != "HEAD":
		status, ctype = "405 Method Not Allowed", "text/plain; charset=utf-8"
		body.WriteString("method not allowed\n")
	case path == "/connections":
		status, ctype = "200 OK", "application/json"
		rows, t := r.Snapshot()
		WriteJSON(&body, rows, t)
	case path == "/metrics":
		status, ctype = "200 OK", "text/plain; version=0.0.4; charset=utf-8"
		_, t := r.Snapshot()
		WriteMetrics(&body, t)
	default:
		status, ctype = "404 Not Found", "text/plain; charset=utf-8"
		body.WriteString("not found: try /connections or /metrics\n")
	}
	head := fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n", status, ctype, body.Len())
	if strings.HasPrefix(status, "405") {
		head += "Allow: GET, HEAD\r\n"
	}
	out := net.Buffers{[]byte(head + "\r\n")}
	if method != "HEAD" {
		out = append(out, body.Bytes())
	}
	out.WriteTo(c)
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
}

// errBadRequest is any request readRequest cannot take.
var errBadRequest = errors.New("malformed HTTP request")

// readRequest reads an HTTP/1.x request line and its headers (which it
// skips) up to the empty line, and returns the method and the path (the
// target without its query). Lines may end in CRLF or LF.
func readRequest(br *bufio.Reader) (method, path string, err error) {
	line, err := readLine(br)
	if err != nil {
		return "", "", err
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || parts[0] == "" || !strings.HasPrefix(parts[1], "/") ||
		(parts[2] != "HTTP/1.0" && parts[2] != "HTTP/1.1") {
		return "", "", errBadRequest
	}
	for _, ch := range parts[0] {
		if ch < 'A' || ch > 'Z' {
			return "", "", errBadRequest
		}
	}
	for {
		h, err := readLine(br)
		if err != nil {
			return "", "", err
		}
		if h == "" {
			break
		}
		if name, _, ok := strings.Cut(h, ":"); !ok || name == "" || strings.ContainsAny(name, " \t") {
			return "", "", errBadRequest
		}
	}
	path, _, _ = strings.Cut(parts[1], "?")
	return parts[0], path, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", errBadRequest // EOF, the size bound or the deadline
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if strings.ContainsAny(line, "\r\x00") {
		return "", errBadRequest
	}
	return line, nil
}
