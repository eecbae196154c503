package proxyserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
)

func TestReadGreeting(t *testing.T) {
	tests := []struct {
		in   []byte
		want []byte
		err  bool
	}{
		{[]byte{5, 1, 0}, []byte{0}, false},
		{[]byte{5, 2, 0, 2}, []byte{0, 2}, false},
		{[]byte{4, 1, 0}, nil, true},
		{[]byte{5, 0}, nil, true},
		{[]byte{5, 3, 0}, nil, true},
		{[]byte{5}, nil, true},
	}
	for _, tt := range tests {
		got, err := readGreeting(bytes.NewReader(tt.in))
		if (err != nil) != tt.err || !bytes.Equal(got, tt.want) {
			t.Errorf("readGreeting(%v) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestReadUserPass(t *testing.T) {
	tests := []struct {
		in         []byte
		user, pass string
		err        bool
	}{
		{[]byte{1, 1, 'u', 2, 'p', 'w'}, "u", "pw", false},
		{[]byte{1, 0, 0}, "", "", false},
		{[]byte{2, 1, 'u', 1, 'p'}, "", "", true},
		{[]byte{1, 5, 'u'}, "", "", true},
		{[]byte{1, 1, 'u', 3, 'p'}, "", "", true},
	}
	for _, tt := range tests {
		u, p, err := readUserPass(bytes.NewReader(tt.in))
		if (err != nil) != tt.err || u != tt.user || p != tt.pass {
			t.Errorf("readUserPass(%v) = %q, %q, %v; want %q, %q, error %v", tt.in, u, p, err, tt.user, tt.pass, tt.err)
		}
	}
}

func TestReadSocksRequest(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::1").AsSlice()
	tests := []struct {
		name string
		in   []byte
		want socksRequest
		err  error // nil: no error; errAny: some error
	}{
		{"ipv4", []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 80}, socksRequest{1, "127.0.0.1", 80}, nil},
		{"ipv6", append(append([]byte{5, 1, 0, 4}, v6...), 1, 187), socksRequest{1, "2001:db8::1", 443}, nil},
		{"domain", []byte{5, 1, 0, 3, 4, 'h', '.', 'e', 'x', 0, 22}, socksRequest{1, "h.ex", 22}, nil},
		{"bind", []byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0}, socksRequest{2, "0.0.0.0", 0}, nil},
		{"bad atyp", []byte{5, 1, 0, 9, 0, 0}, socksRequest{}, errAddressType},
		{"bad version", []byte{4, 1, 0, 1, 0, 0, 0, 0, 0, 0}, socksRequest{}, errAny},
		{"empty domain", []byte{5, 1, 0, 3, 0, 0, 80}, socksRequest{}, errAny},
		{"domain with colon", []byte{5, 1, 0, 3, 3, 'a', ':', 'b', 0, 80}, socksRequest{}, errAny},
		{"short", []byte{5, 1, 0, 1, 127, 0}, socksRequest{}, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSocksRequest(bytes.NewReader(tt.in))
			switch {
			case tt.err == nil && err != nil, tt.err != nil && err == nil:
				t.Fatalf("err = %v, want %v", err, tt.err)
			case tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestSocksReply(t *testing.T) {
	tests := []struct {
		rep  replyCode
		addr netip.AddrPort
		want []byte
	}{
		{repSucceeded, netip.MustParseAddrPort("127.0.0.1:258"), []byte{5, 0, 0, 1, 127, 0, 0, 1, 1, 2}},
		{repSucceeded, netip.MustParseAddrPort("[::ffff:10.0.0.1]:1"), []byte{5, 0, 0, 1, 10, 0, 0, 1, 0, 1}},
		{repSucceeded, netip.MustParseAddrPort("[::1]:1"), append(append([]byte{5, 0, 0, 4}, netip.IPv6Loopback().AsSlice()...), 0, 1)},
		{repConnectionRefused, netip.AddrPort{}, []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		if got := socksReply(tt.rep, tt.addr); !bytes.Equal(got, tt.want) {
			t.Errorf("socksReply(%d, %v) = %v, want %v", tt.rep, tt.addr, got, tt.want)
		}
	}
}

func TestDialReply(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	tests := []struct {
		err  error
		want replyCode
	}{
		{op(syscall.ECONNREFUSED), repConnectionRefused},
		{op(syscall.ENETUNREACH), repNetworkUnreachable},
		{op(syscall.EHOSTUNREACH), repHostUnreachable},
		{&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, repHostUnreachable},
		{op(syscall.ETIMEDOUT), repTTLExpired},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), repTTLExpired},
		{op(syscall.EACCES), repGeneralFailure},
	}
	for _, tt := range tests {
		if got := dialReply(tt.err); got != tt.want {
			t.Errorf("dialReply(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// FuzzSocksHandshake feeds arbitrary bytes to the greeting, credential
// and request parsers in turn, as a client's stream would reach them.
func FuzzSocksHandshake(f *testing.F) {
	f.Add([]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80})
	f.Add([]byte{5, 1, 2, 1, 1, 'u', 1, 'p', 5, 1, 0, 3, 1, 'h', 0, 80})
	f.Add([]byte{5, 1, 0, 5, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53})
	f.Add([]byte{5, 255})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		if _, err := readGreeting(r); err != nil {
			return
		}
		readUserPass(bytes.NewReader(in))
		req, err := readSocksRequest(r)
		if err == nil && req.host == "" {
			t.Fatalf("request with an empty host from %v", in)
		}
	})
}
