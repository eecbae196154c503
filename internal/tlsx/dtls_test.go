package tlsx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
)

// dtlsPair runs a DTLS listener on a loopback socket and a client that
// echoes one datagram through it.
func TestDTLSClientServer(t *testing.T) {
	ca := newTestCA(t)
	for _, tc := range []struct {
		name    string
		co, so  Options
		wantErr bool
		name2   bool // a name *VerifyError
	}{
		{name: "throwaway, no verification"},
		{name: "verified", co: Options{Verify: true, TrustFile: ca.caFile}, so: ca.srv},
		{name: "untrusted", co: Options{Verify: true, TrustFile: ca.caFile}, wantErr: true},
		{name: "wrong name", co: Options{Verify: true, TrustFile: ca.caFile, ServerName: "other.test"}, so: ca.srv, wantErr: true, name2: true},
		{name: "alpn and suite", co: Options{ALPN: []string{"x"}, Ciphers: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}, so: Options{ALPN: []string{"x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			scfg, _, err := NewDTLSServer(tc.so, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			ln, err := NewDTLSListener(pc, scfg)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					served <- err
					return
				}
				defer c.Close()
				if err := ln.Handshake(context.Background(), c.(*dtls.Conn), 5*time.Second); err != nil {
					served <- err
					return
				}
				buf := make([]byte, 2048)
				n, err := c.Read(buf)
				if err == nil {
					_, err = c.Write(buf[:n])
				}
				served <- err
			}()
			raw, err := net.Dial("udp", pc.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			ccfg, _, err := NewDTLSClient(tc.co, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			c, err := DTLSClient(context.Background(), raw, ccfg, 5*time.Second)
			if tc.wantErr {
				var ve *VerifyError
				if !errors.As(err, &ve) || ve.Name != tc.name2 {
					t.Errorf("DTLSClient = %v, want a *VerifyError (name %v)", err, tc.name2)
				}
				ln.Close()
				<-served
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2048)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("echo %q, %v", buf[:n], err)
			}
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			st := DTLSState(c.Conn)
			if len(tc.co.ALPN) > 0 && (st.NegotiatedProtocol != "x" || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA) {
				t.Errorf("ALPN %q suite %s", st.NegotiatedProtocol, SuiteName(st.CipherSuite))
			}
			c.Close()
			ln.Close()
		})
	}
}

// TestPacketMux: a non-handshake first datagram makes no peer; a closed
// mux keeps its socket until the last peer is closed.
func TestPacketMux(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewPacketMux(pc)
	cl, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.Write([]byte("not dtls"))
	cl.Write([]byte{22, 0xfe, 0xfd, 1})
	cl.Write(nil) // an empty datagram from a known peer is ignored
	p, from, err := m.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if from.String() != cl.LocalAddr().String() {
		t.Errorf("peer %v, want %v", from, cl.LocalAddr())
	}
	buf := make([]byte, 64)
	n, _, err := p.ReadFrom(buf)
	if err != nil || n != 4 || buf[0] != 22 {
		t.Fatalf("first datagram %v, %v", buf[:n], err)
	}
	// A read deadline in the past interrupts a blocked read.
	go func() { time.Sleep(10 * time.Millisecond); p.SetReadDeadline(time.Unix(1, 0)) }()
	if _, _, err := p.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after deadline: %v", err)
	}
	p.SetReadDeadline(time.Time{})
	m.Close()
	if _, _, err := m.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	if _, err := p.WriteTo([]byte("still open"), from); err != nil {
		t.Fatalf("peer write after the mux closed: %v", err)
	}
	cl.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := cl.Read(buf); err != nil || string(buf[:n]) != "still open" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	p.Close()
	if _, err := pc.WriteTo([]byte("x"), cl.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("socket still open after the last peer left: %v", err)
	}
}

// TestDTLSLastDatagram: datagrams sent right after the handshake and
// just before close_notify are all read before the EOF.
func TestDTLSLastDatagram(t *testing.T) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		scfg, _, _ := NewDTLSServer(Options{}, "127.0.0.1")
		ln, _ := NewDTLSListener(pc, scfg)
		got := make(chan string, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				got <- err.Error()
				return
			}
			defer c.Close()
			dc := &DTLSConn{c.(*dtls.Conn)}
			if err := ln.Handshake(context.Background(), dc.Conn, 5*time.Second); err != nil {
				got <- err.Error()
				return
			}
			var all []byte
			buf := make([]byte, 2048)
			for {
				n, err := dc.Read(buf)
				all = append(all, buf[:n]...)
				if err != nil {
					got <- string(all)
					return
				}
			}
		}()
		raw, _ := net.Dial("udp", pc.LocalAddr().String())
		ccfg, _, _ := NewDTLSClient(Options{}, "127.0.0.1")
		c, err := DTLSClient(context.Background(), raw, ccfg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Both right after the handshake, before the server may have
		// finished its side (DTLSListener.Handshake holds them), and the
		// close_notify right after (DTLSConn.Read).
		c.Write([]byte("a"))
		c.Write([]byte("b"))
		c.Close()
		if s := <-got; s != "ab" {
			t.Errorf("server read %q before EOF, want \"ab\"", s)
		}
		ln.Close()
	}
}
