package proxyserver

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestTunnelAfterChallenge checks, on a fake clock, that a tunnel opened
// after a 407 on the same connection outlives the 407's write timeout.
func TestTunnelAfterChallenge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		targetSide, targetEnd := net.Pipe()
		s := &server{o: Options{
			Type: "http",
			Dial: func(context.Context, string, string) (net.Conn, error) { return targetEnd, nil },
		}, auth: newAuthenticator("u:p")}
		client, serverEnd := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer serverEnd.Close()
			s.serveHTTP(t.Context(), &clientConn{Conn: serverEnd})
		}()
		br := bufio.NewReader(client)
		io.WriteString(client, "CONNECT t:1 HTTP/1.1\r\n\r\n")
		if got := readResponse(t, br); !strings.HasPrefix(got, "HTTP/1.0 407 ") {
			t.Fatalf("got %q, want a 407", got)
		}
		creds := base64.StdEncoding.EncodeToString([]byte("u:p"))
		io.WriteString(client, "CONNECT t:1 HTTP/1.1\r\nProxy-Authorization: Basic "+creds+"\r\n\r\n")
		if got := readResponse(t, br); got != "HTTP/1.0 200 OK\r\n\r\n" {
			t.Fatalf("got %q, want 200", got)
		}
		time.Sleep(2 * replyTimeout)
		go io.WriteString(targetSide, "from the target")
		got := make([]byte, len("from the target"))
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("tunnel after %v: %v", 2*replyTimeout, err)
		}
		client.Close()
		targetSide.Close()
		<-done
	})
}

// TestHandshakeTimeoutFakeClock checks that a client that never completes
// its request is dropped exactly at the handshake timeout.
func TestHandshakeTimeoutFakeClock(t *testing.T) {
	for _, typ := range []string{"http", "socks5"} {
		t.Run(typ, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &server{o: Options{Type: typ, HandshakeTimeout: 7 * time.Second}}
				client, serverEnd := net.Pipe()
				start := time.Now()
				done := make(chan struct{})
				go func() {
					defer close(done)
					defer serverEnd.Close()
					if typ == "http" {
						s.serveHTTP(t.Context(), &clientConn{Conn: serverEnd})
					} else {
						s.serveSOCKS5(t.Context(), &clientConn{Conn: serverEnd})
					}
				}()
				client.Write([]byte{5}) // one byte, then silence
				io.ReadAll(client)
				<-done
				if got := time.Since(start); got != 7*time.Second {
					t.Errorf("dropped after %v, want 7s", got)
				}
				client.Close()
			})
		})
	}
}
