//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKeys are the tests' server keys, made once: RSA keys take a while.
var testKeys = sync.OnceValues(func() ([]crypto.Signer, error) {
	var keys []crypto.Signer
	for range 2 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	for range 2 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
})

// Indexes into testKeys.
const (
	ecdsaKey, otherECDSAKey, rsaKey, otherRSAKey = 0, 1, 2, 3
)

// testCert returns a self-signed certificate for testKeys()[certKey] that
// the server signs with testKeys()[signKey], with names extra DNS names.
func testCert(t *testing.T, certKey, signKey, names int) tls.Certificate {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: loopback},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	for i := range names {
		tmpl.DNSNames = append(tmpl.DNSNames, fmt.Sprintf("host-%04d.%s.example", i, strings.Repeat("x", 40)))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, keys[certKey].Public(), keys[certKey])
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: keys[signKey]}
}

// A served is what a test server's connection saw.
type served struct {
	state tls.ConnectionState
	data  []byte
	err   error
}

// serveTLS serves cfg on 127.0.0.1:0: each connection is a handshake and
// a read to EOF, reported on the channel. The server stops at cleanup.
func serveTLS(t *testing.T, cfg *tls.Config) (string, <-chan served) {
	t.Helper()
	ln, err := tls.Listen("tcp", loopback+":0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan served, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				tc := c.(*tls.Conn)
				err := tc.Handshake()
				var data []byte
				if err == nil {
					data, err = io.ReadAll(tc)
				}
				results <- served{tc.ConnectionState(), data, err}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), results
}

// serveRaw runs handle on each connection to a TCP listener on
// 127.0.0.1:0 and closes the connection after it. The server stops at
// cleanup.
func serveRaw(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// readHello reads the client's first record.
func readHello(c net.Conn) error {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return err
	}
	_, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint16(hdr[3:])))
	return err
}

func TestTLS13ClientHandshakes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cert   func(t *testing.T) tls.Certificate
		client string
	}{
		{"ECDSA P-256 (gnc)", func(t *testing.T) tls.Certificate { return testCert(t, ecdsaKey, ecdsaKey, 0) }, "lean"},
		{"RSA 2048 (ncat)", func(t *testing.T) tls.Certificate { return testCert(t, rsaKey, rsaKey, 0) }, "lean"},
		{"Certificate message over two records", func(t *testing.T) tls.Certificate { return testCert(t, ecdsaKey, ecdsaKey, 400) }, "lean"},
		{"crypto/tls client", func(t *testing.T) tls.Certificate { return testCert(t, ecdsaKey, ecdsaKey, 0) }, "go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Go's server sends a ChangeCipherSpec in its flight and two
			// session tickets after it, which the client skips.
			addr, results := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{tc.cert(t)}})
			shake := goShortTLS
			if tc.client == "lean" {
				c, err := newTLS13Client(5 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				shake = c.shortTLS
			}
			for i := range 3 { // one client, its key share and buffers reused
				// The client returns when the server closes, which it
				// does when its read ends: at close_notify, since the
				// client keeps the connection open until then.
				if err := shake(context.Background(), addr); err != nil {
					t.Fatalf("handshake %d: %v", i, err)
				}
				r := <-results
				if r.err != nil || string(r.data) != payload {
					t.Fatalf("handshake %d: server read %q, %v; want %q to close_notify", i, r.data, r.err, payload)
				}
				s := r.state
				if s.Version != tls.VersionTLS13 || s.CipherSuite != tls.TLS_AES_128_GCM_SHA256 || s.CurveID != tls.X25519 || s.DidResume {
					t.Errorf("handshake %d: version %#x, suite %#x, group %v, resumed %v", i, s.Version, s.CipherSuite, s.CurveID, s.DidResume)
				}
			}
		})
	}
}

func TestTLS13ClientErrors(t *testing.T) {
	stop := errors.New("stopped by the test")
	for _, tc := range []struct {
		name    string
		addr    func(t *testing.T, cancel context.CancelCauseFunc) string
		timeout time.Duration
		want    func(error) bool
	}{
		{
			name: "garbage",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) {
					readHello(c)
					io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
				})
			},
			want: func(err error) bool { return strings.Contains(err.Error(), "not a TLS record") },
		},
		{
			name: "alert",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) {
					readHello(c)
					c.Write([]byte{recordAlert, 3, 3, 0, 2, 2, 40})
				})
			},
			want: func(err error) bool { return errors.Is(err, tls.AlertError(40)) },
		},
		{
			name: "TLS 1.2 server",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{testCert(t, ecdsaKey, ecdsaKey, 0)}, MaxVersion: tls.VersionTLS12})
				return addr
			},
			want: func(err error) bool { return errors.Is(err, tls.AlertError(70)) }, // protocol_version
		},
		{
			name: "close after ClientHello",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) { readHello(c) })
			},
			want: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name: "ServerHello cut short",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) {
					readHello(c)
					c.Write([]byte{recordHandshake, 3, 3, 0, 90, msgServerHello, 0, 0, 86, 3, 3})
				})
			},
			want: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		},
		{
			name: "ECDSA signature by another key",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{testCert(t, ecdsaKey, otherECDSAKey, 0)}})
				return addr
			},
			want: func(err error) bool { return strings.Contains(err.Error(), "signature does not verify") },
		},
		{
			name: "RSA signature by another key",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{testCert(t, rsaKey, otherRSAKey, 0)}})
				return addr
			},
			want: func(err error) bool { return strings.Contains(err.Error(), "signature does not verify") },
		},
		{
			name: "server flight altered",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{testCert(t, ecdsaKey, ecdsaKey, 0)}})
				return tamperProxy(t, addr)
			},
			want: func(err error) bool { return strings.Contains(err.Error(), "bad record MAC") },
		},
		{
			name: "server stalls",
			addr: func(t *testing.T, _ context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) })
			},
			timeout: 100 * time.Millisecond,
			want:    func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) },
		},
		{
			name: "canceled",
			addr: func(t *testing.T, cancel context.CancelCauseFunc) string {
				return serveRaw(t, func(c net.Conn) {
					readHello(c)
					cancel(stop)
					io.Copy(io.Discard, c)
				})
			},
			want: func(err error) bool { return errors.Is(err, stop) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			addr := tc.addr(t, cancel)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			c, err := newTLS13Client(timeout)
			if err != nil {
				t.Fatal(err)
			}
			err = c.shortTLS(ctx, addr)
			if err == nil || !tc.want(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

// tamperProxy relays one connection to addr, flipping a bit of the
// server's first encrypted record.
func tamperProxy(t *testing.T, addr string) string {
	return serveRaw(t, func(c net.Conn) {
		s, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		defer c.Close()
		defer s.Close()
		wg.Go(func() {
			io.Copy(s, c)
			s.Close()
		})
		hdr := make([]byte, 5)
		flipped := false
		for {
			if _, err := io.ReadFull(s, hdr); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
			if _, err := io.ReadFull(s, body); err != nil {
				return
			}
			if hdr[0] == recordApplicationData && !flipped {
				body[len(body)-1] ^= 1
				flipped = true
			}
			if _, err := c.Write(append(hdr, body...)); err != nil {
				return
			}
		}
	})
}

// TestTLS13ClientRecords checks that handshake messages are reassembled
// whether they share a record or span several, with a ChangeCipherSpec
// between records.
func TestTLS13ClientRecords(t *testing.T) {
	msg := func(typ byte, n int) []byte {
		m := []byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}
		for i := range n {
			m = append(m, byte(i))
		}
		return m
	}
	record := func(typ byte, body []byte) []byte {
		return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
	}
	m1, m2, m3 := msg(8, 3), msg(11, 30000), msg(15, 0)
	var wire []byte
	wire = append(wire, record(recordHandshake, append(append([]byte{}, m1...), m2[:100]...))...)
	wire = append(wire, record(recordChangeCipherSpec, []byte{1})...)
	wire = append(wire, record(recordHandshake, m2[100:16000])...)
	wire = append(wire, record(recordHandshake, append(append([]byte{}, m2[16000:]...), m3...))...)

	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		for len(wire) > 0 { // in odd pieces
			n := min(len(wire), 777)
			if _, err := server.Write(wire[:n]); err != nil {
				return
			}
			wire = wire[n:]
		}
	}()
	c, err := newTLS13Client(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.conn = client
	for i, want := range [][]byte{m1, m2, m3} {
		got, err := c.nextMessage()
		if err != nil || string(got) != string(want) {
			t.Fatalf("message %d: got %d bytes (type %v), %v; want %d bytes", i, len(got), got[:min(len(got), 1)], err, len(want))
		}
	}
	if _, err := c.nextMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the last message: %v, want unexpected EOF", err)
	}
}

// TestHKDF checks the client's HMAC, HKDF-Extract and HKDF-Expand-Label
// against crypto/hmac and crypto/hkdf.
func TestHKDF(t *testing.T) {
	h := newHKDF()
	for _, tc := range []struct {
		key, msg []byte
		label    string
		n        int
	}{
		{[]byte{}, []byte{}, "derived", 32},
		{bytes.Repeat([]byte{7}, 32), []byte("a transcript hash, or any input"), "c hs traffic", 32},
		{bytes.Repeat([]byte{0xaa}, 64), bytes.Repeat([]byte{1}, 200), "key", 16},
		{[]byte("secret"), nil, "iv", 12},
	} {
		want := hmac.New(sha256.New, tc.key)
		want.Write(tc.msg)
		if got := h.mac(nil, tc.key, tc.msg[:len(tc.msg)/2], tc.msg[len(tc.msg)/2:]); !bytes.Equal(got, want.Sum(nil)) {
			t.Errorf("mac(%x, %q) = %x, want %x", tc.key, tc.msg, got, want.Sum(nil))
		}
		prk, err := hkdf.Extract(sha256.New, tc.msg, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.extract(nil, tc.key, tc.msg); !bytes.Equal(got, prk) {
			t.Errorf("extract(%x, %q) = %x, want %x", tc.key, tc.msg, got, prk)
		}
		context := tc.msg[:min(len(tc.msg), 32)]
		info := append([]byte{0, byte(tc.n), byte(len("tls13 " + tc.label))}, "tls13 "+tc.label...)
		info = append(append(info, byte(len(context))), context...)
		okm, err := hkdf.Expand(sha256.New, prk, string(info), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.expandLabel([]byte("dst:"), prk, tc.label, context, tc.n); !bytes.Equal(got, append([]byte("dst:"), okm...)) {
			t.Errorf("expandLabel(%q, %d) = %x, want dst:%x", tc.label, tc.n, got, okm)
		}
	}
}

func TestTLSClientFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" for an error
	}{
		{nil, "lean"},
		{[]string{"-tls-client", "go"}, "go"},
		{[]string{"-tls-client", "lean"}, "lean"},
		{[]string{"-tls-client", "openssl"}, ""},
	} {
		cfg, err := parseFlags(tc.args, io.Discard)
		if tc.want == "" && err == nil || tc.want != "" && (err != nil || cfg.tlsClient != tc.want) {
			t.Errorf("parseFlags(%q): -tls-client %q, %v; want %q", tc.args, cfg.tlsClient, err, tc.want)
		}
	}
}
