package transport

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// Without an address Listen binds :: (IPv6 only) then 0.0.0.0, both on the
// same port even when port 0 let the kernel choose; -4/-6 keep one. (These
// sockets are on the wildcard addresses, as ncat's; the test connects to
// them only over loopback.)
func TestListenDualStack(t *testing.T) {
	tests := []struct {
		name   string
		family int
		want   []string // networks of the listeners, in order
	}{
		{"both", 0, []string{"tcp6", "tcp4"}},
		{"-4", 4, []string{"tcp4"}},
		{"-6", 6, []string{"tcp6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.family != 4 {
				requireIPv6(t)
			}
			ctx := testCtx(t)
			lns, err := Listen(ctx, ListenOptions{Network: "tcp", Family: tt.family})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, ln := range lns {
					ln.Close()
				}
			}()
			if len(lns) != len(tt.want) {
				t.Fatalf("%d listeners, want %d", len(lns), len(tt.want))
			}
			port := lns[0].Addr().(*net.TCPAddr).Port
			if port == 0 {
				t.Fatal("port 0 not replaced by the kernel's")
			}
			for i, ln := range lns {
				a := ln.Addr().(*net.TCPAddr)
				if a.Port != port {
					t.Errorf("listener %d on port %d, want %d (same as the first)", i, a.Port, port)
				}
				if !a.IP.IsUnspecified() {
					t.Errorf("listener %d on %v, want the unspecified address", i, a.IP)
				}
				loop, network := "127.0.0.1", "tcp4"
				if a.IP.To4() == nil {
					loop, network = "::1", "tcp6"
				}
				if network != tt.want[i] {
					t.Errorf("listener %d is %s, want %s", i, network, tt.want[i])
				}
				accepted := acceptOne(ln)
				c, err := net.Dial(network, net.JoinHostPort(loop, fmt.Sprint(port)))
				if err != nil {
					t.Fatalf("connecting to %s listener: %v", network, err)
				}
				c.Close()
				s := recvConn(ctx, t, accepted)
				if got := s.LocalAddr().(*net.TCPAddr).IP.String(); got != loop {
					t.Errorf("%s listener accepted a connection to %s", network, got)
				}
			}
			if tt.family == 0 {
				// The IPv6 socket is IPv6 only: IPv4 clients reach the
				// IPv4 one (checked above by the accept on each).
				pcs, err := ListenPacket(ctx, ListenOptions{Network: "udp"})
				if err != nil {
					t.Fatal(err)
				}
				defer func() {
					for _, pc := range pcs {
						pc.Close()
					}
				}()
				if len(pcs) != 2 {
					t.Fatalf("%d UDP sockets, want 2", len(pcs))
				}
				p0, p1 := pcs[0].LocalAddr().(*net.UDPAddr), pcs[1].LocalAddr().(*net.UDPAddr)
				if p0.Port == 0 || p0.Port != p1.Port || p0.IP.To4() != nil || p1.IP.To4() == nil {
					t.Errorf("UDP sockets %v and %v: want [::] and 0.0.0.0 on one port", p0, p1)
				}
			}
		})
	}
}

func TestListenHost(t *testing.T) {
	tests := []struct {
		host   string
		family int
		want   string // listener IP, "" = error
	}{
		{"127.0.0.1", 0, "127.0.0.1"},
		{"::1", 0, "::1"},
		{"127.0.0.1", 4, "127.0.0.1"},
		{"::1", 4, ""},
		{"localhost", 4, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.host, tt.family), func(t *testing.T) {
			if tt.host == "::1" {
				requireIPv6(t)
			}
			lns, err := Listen(testCtx(t), ListenOptions{Network: "tcp", Host: tt.host, Family: tt.family})
			if tt.want == "" {
				var re *ResolveError
				if !errors.As(err, &re) {
					t.Fatalf("Listen = %v, %v; want a *ResolveError", lns, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, ln := range lns {
				defer ln.Close()
			}
			if len(lns) != 1 {
				t.Fatalf("%d listeners for one address", len(lns))
			}
			if got := lns[0].Addr().(*net.TCPAddr).IP.String(); got != tt.want {
				t.Errorf("listening on %s, want %s", got, tt.want)
			}
		})
	}
}

// Binding a port in use is a *BindError in ncat's words.
func TestListenBindError(t *testing.T) {
	for _, tt := range []struct {
		network, host string
		packet        bool
	}{
		{"tcp4", "127.0.0.1", false},
		{"tcp6", "::1", false},
		{"udp4", "127.0.0.1", true},
		{"udp6", "::1", true},
	} {
		t.Run(tt.network, func(t *testing.T) {
			if tt.host == "::1" {
				requireIPv6(t)
			}
			var port int
			addr := net.JoinHostPort(tt.host, "0")
			if tt.packet {
				pc, err := net.ListenPacket(tt.network, addr)
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				port = pc.LocalAddr().(*net.UDPAddr).Port
			} else {
				ln := listenTCP(t, tt.network, addr)
				port = ln.Addr().(*net.TCPAddr).Port
			}
			o := ListenOptions{Network: "tcp", Host: tt.host, Port: port}
			var err error
			if tt.packet {
				o.Network = "udp"
				var pcs []net.PacketConn
				pcs, err = ListenPacket(testCtx(t), o)
				for _, pc := range pcs {
					pc.Close()
				}
			} else {
				var lns []net.Listener
				lns, err = Listen(testCtx(t), o)
				for _, ln := range lns {
					ln.Close()
				}
			}
			var be *BindError
			if !errors.As(err, &be) {
				t.Fatalf("error = %v (%T), want *BindError", err, err)
			}
			if want := fmt.Sprintf("bind to %s:%d: Address already in use.", tt.host, port); err.Error() != want {
				t.Errorf("error text %q, want %q", err.Error(), want)
			}
			if !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("%v does not wrap EADDRINUSE", err)
			}
		})
	}
}

// A BindError on the second socket of a dual-stack listen closes the first.
func TestListenDualStackSecondFails(t *testing.T) {
	requireIPv6(t)
	// Take a port on 0.0.0.0 only; :: (v6 only) is then free, 0.0.0.0 not.
	busy, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	_, err = Listen(testCtx(t), ListenOptions{Network: "tcp", Port: port})
	var be *BindError
	if !errors.As(err, &be) || err.Error() != fmt.Sprintf("bind to 0.0.0.0:%d: Address already in use.", port) {
		t.Fatalf("Listen = %v, want BindError on 0.0.0.0:%d", err, port)
	}
	// The IPv6 socket bound first was closed: the port is free on ::1.
	ln, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		t.Fatalf("IPv6 listener left open after the failure: %v", err)
	}
	ln.Close()
}

func TestBindErrorText(t *testing.T) {
	e := &BindError{Addr: "0.0.0.0:22", Err: &net.OpError{Op: "listen", Err: syscall.EADDRINUSE}}
	if got, want := e.Error(), "bind to 0.0.0.0:22: Address already in use."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	e = &BindError{Addr: "::1:80", Err: syscall.EACCES}
	if got, want := e.Error(), "bind to ::1:80: Permission denied."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got := Describe(fmt.Errorf("x: %w", errDeadline)); got != "TIMEOUT." {
		t.Errorf("Describe(deadline) = %q, want TIMEOUT.", got)
	}
}

// errDeadline is a real expired-deadline error from the net package.
var errDeadline = func() error {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	c1.SetReadDeadline(time.Now())
	_, err := c1.Read(make([]byte, 1))
	return err
}()
