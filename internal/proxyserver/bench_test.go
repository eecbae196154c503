package proxyserver

import (
	"context"
	"io"
	"net"
	"testing"
)

// BenchmarkHTTPConnect measures one CONNECT tunnel at a time, as the
// bench harness's proxy-1 row does: connect, CONNECT, 200, ten bytes there
// and back, close.
func BenchmarkHTTPConnect(b *testing.B) {
	echo, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, []net.Listener{ln}, Options{Type: "http"}) }()
	req := "CONNECT " + echo.Addr().String() + " HTTP/1.0\r\n\r\n"
	const ok = "HTTP/1.0 200 OK\r\n\r\n"
	buf := make([]byte, 64)
	for b.Loop() {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		io.WriteString(c, req)
		if _, err := io.ReadFull(c, buf[:len(ok)]); err != nil {
			b.Fatal(err)
		}
		io.WriteString(c, "0123456789")
		if _, err := io.ReadFull(c, buf[:10]); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	cancel()
	<-done
}
