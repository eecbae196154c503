package cli

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
)

// TestTLSKeepOpenBadClients runs -lk --ssl in process against good
// clients mixed with ones that send garbage, stall in the handshake,
// reset in the middle of it or end mid-record, and checks that every good
// client is served and nothing is left behind: no goroutine (goleak) and
// no file descriptor.
func TestTLSKeepOpenBadClients(t *testing.T) {
	fdsBefore := openFDs(t)
	addr, _, stop := runInProcess(t, "--ssl", "-w", "300ms", "-l", "-k", "127.0.0.1", "0")
	cfg := &tls.Config{InsecureSkipVerify: true}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(10 * time.Second))
			switch i % 5 {
			case 0: // good
				c := tls.Client(raw, cfg)
				if _, err := c.Write([]byte("hello\n")); err != nil {
					t.Error(err)
					return
				}
				c.CloseWrite()
				if _, err := io.Copy(io.Discard, c); err != nil {
					t.Errorf("good client: %v", err)
				}
			case 1: // garbage instead of a ClientHello
				raw.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
				io.Copy(io.Discard, raw)
			case 2: // says nothing: dropped at -w
				if _, err := io.Copy(io.Discard, raw); err != nil {
					t.Errorf("staller was not closed: %v", err)
				}
			case 3: // resets in the middle of the handshake
				raw.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01})
				raw.(*net.TCPConn).SetLinger(0)
			case 4: // a truncated record after the handshake
				c := tls.Client(raw, cfg)
				if err := c.Handshake(); err != nil {
					t.Error(err)
					return
				}
				raw.Write([]byte{0x17, 0x03, 0x03, 0x40, 0x00, 1, 2, 3})
				raw.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, raw)
			}
		})
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if after := settledFDs(t, fdsBefore); after > fdsBefore {
		t.Errorf("open file descriptors: %d before, %d after", fdsBefore, after)
	}
}

// TestTLSHandshakesCountTowardsMaxConns: clients still in their handshake
// hold -m slots, so stalled handshakes cannot pile up without bound.
func TestTLSHandshakesCountTowardsMaxConns(t *testing.T) {
	addr, _, stop := runInProcess(t, "--ssl", "-m", "2", "-l", "-k", "127.0.0.1", "0")
	defer stop()
	var stallers []net.Conn
	for range 2 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stallers = append(stallers, c)
	}
	// The third is denied: closed at once, however long we would wait.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Deadline: deadline}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			break // denied: the handshake met a closed connection
		}
		c.Close()
		// The stallers may not have been accepted yet; try again.
		if time.Now().After(deadline) {
			t.Fatal("a third client was served with -m 2 and two handshakes pending")
		}
	}
	// Once the stallers leave, their slots are free again.
	for _, c := range stallers {
		c.Close()
	}
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Deadline: deadline}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no client served after the stallers left: %v", err)
		}
	}
}

// TestDTLSKeepOpenInProcess runs -u -l -k --ssl in process with DTLS
// peers, junk senders and a peer that stalls mid-handshake, then stops
// it: no goroutine (goleak) and no file descriptor is left behind.
func TestDTLSKeepOpenInProcess(t *testing.T) {
	fdsBefore := openFDs(t)
	addr, _, stop := runInProcess(t, "--ssl", "-u", "-w", "300ms", "-l", "-k", "127.0.0.1", "0")
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				c, err := dtls.DialWithOptions("udp", raddr, dtls.WithInsecureSkipVerify(true))
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := c.HandshakeContext(ctx); err != nil {
					t.Errorf("DTLS handshake: %v", err)
					return
				}
				c.Write([]byte("hello\n"))
			case 1:
				c, err := net.Dial("udp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				c.Write([]byte("junk"))
				c.Close()
			case 2:
				c, err := net.Dial("udp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				c.Write([]byte{22, 0xfe, 0xfd, 0, 0}) // a handshake that goes nowhere
				c.Close()
			}
		})
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if after := settledFDs(t, fdsBefore); after > fdsBefore {
		t.Errorf("open file descriptors: %d before, %d after", fdsBefore, after)
	}
}

// settledFDs is openFDs once it is back to want, or after about two
// seconds: a DTLS listener's library closes the shared UDP socket in a
// goroutine of its own after the last connection has gone.
func settledFDs(t *testing.T, want int) int {
	t.Helper()
	n := openFDs(t)
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(20 * time.Millisecond)
		n = openFDs(t)
	}
	return n
}
