package broker

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSendOnly: --send-only never reads the members; stdin still goes out.
func TestSendOnly(t *testing.T) {
	r := newRoom(t, Options{SendOnly: true})
	a, b := r.dial(t), r.dial(t)
	waitLen(t, r.h, 2)
	io.WriteString(a, "never relayed\n")
	stdin, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- r.h.RunStdin(t.Context(), stdin) }()
	io.WriteString(w, "from stdin\n")
	if got := readUntil(t, b, "from stdin\n"); got != "from stdin\n" {
		t.Errorf("b got %q", got)
	}
	readUntil(t, a, "from stdin\n")
	w.Close()
	<-done
}

// TestChatRecvOnly: --recv-only sends the members nothing, not even
// greetings; the listener's stdout still shows the room.
func TestChatRecvOnly(t *testing.T) {
	r := newRoom(t, Options{Chat: true, RecvOnly: true})
	a, b := r.dial(t), r.dial(t)
	waitLen(t, r.h, 2)
	io.WriteString(a, "to the listener only\n")
	r.stdout.waitFor(t, "<announce> 127.0.0.1 is connected as <user2>.\n<user1> to the listener only\n")
	expectQuiet(t, b)
	expectQuiet(t, a)
}

// TestIdleTimeout: a member idle for -i is closed; the others stay.
func TestIdleTimeout(t *testing.T) {
	r := newRoom(t, Options{Chat: true, IdleTimeout: 200 * time.Millisecond})
	a, _ := r.join(t)
	a.SetReadDeadline(time.Now().Add(waitTimeout))
	rest, err := io.ReadAll(a)
	if err != nil {
		t.Fatalf("idle member: %v", err)
	}
	if len(rest) != 0 {
		t.Errorf("idle member got %q before EOF", rest)
	}
	select {
	case msg := <-r.logs:
		if !strings.HasPrefix(msg, "Idle timeout expired (200 ms); closing 127.0.0.1:") {
			t.Errorf("log %q", msg)
		}
	case <-time.After(waitTimeout):
		t.Error("no idle log line")
	}
	waitLen(t, r.h, 0)
}

// TestUnixMembers: members over a Unix stream socket, named "unix".
func TestUnixMembers(t *testing.T) {
	path := t.TempDir() + "/room.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	h := New(nil, Options{Chat: true})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !h.AddConn(c, -1) {
				c.Close()
			}
		}
	})
	defer func() {
		ln.Close()
		wg.Wait()
		h.Close()
	}()
	a, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := readUntil(t, a, "nobody.\n"); got != "<announce> unix is connected as <user1>.\n<announce> already connected: nobody.\n" {
		t.Errorf("greeting %q", got)
	}
}

func readDatagram(t *testing.T, pc net.PacketConn) string {
	t.Helper()
	pc.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 65536)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("reading a datagram: %v", err)
	}
	return string(buf[:n])
}

// TestPacketMembers: UDP peers are members, one per source address; each
// message is one datagram; -i forgets an idle peer.
func TestPacketMembers(t *testing.T) {
	for _, chat := range []bool{false, true} {
		t.Run(fmt.Sprintf("chat=%v", chat), func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			logs := make(chan string, 10)
			h := New(nil, Options{Chat: chat, IdleTimeout: 300 * time.Millisecond, Logf: func(f string, a ...any) {
				select {
				case logs <- fmt.Sprintf(f, a...):
				default:
				}
			}})
			var wg sync.WaitGroup
			wg.Go(func() { h.ServePacket(t.Context(), pc, -1, nil) })
			defer func() {
				pc.Close()
				wg.Wait()
				h.Close()
			}()
			peer := func() net.PacketConn {
				c, err := net.ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			a, b := peer(), peer()
			a.WriteTo([]byte("a joins\n"), pc.LocalAddr())
			if chat {
				if got := readDatagram(t, a); got != "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: nobody.\n" {
					t.Errorf("greeting %q", got)
				}
			}
			waitLen(t, h, 1)
			b.WriteTo([]byte("b joins\n"), pc.LocalAddr())
			if chat {
				readDatagram(t, b) // greeting
				if got := readDatagram(t, a); got != "<announce> 127.0.0.1 is connected as <user2>.\n" {
					t.Errorf("join %q", got)
				}
			}
			want := "b joins\n"
			if chat {
				want = "<user2> b joins\n"
			}
			if got := readDatagram(t, a); got != want {
				t.Errorf("a got %q, want %q", got, want)
			}
			// Both go quiet: -i forgets them.
			for range 2 {
				select {
				case msg := <-logs:
					if !strings.HasPrefix(msg, "Idle timeout expired (300 ms)") {
						t.Errorf("log %q", msg)
					}
				case <-time.After(waitTimeout):
					t.Fatal("no idle expiry")
				}
			}
			waitLen(t, h, 0)
		})
	}
}

// TestPacketAllow: Options.Allow refuses a UDP address before it joins:
// its datagrams reach nobody and it takes no -m slot.
func TestPacketAllow(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peer := func() net.PacketConn {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b, bad := peer(), peer(), peer()
	refused := make(chan string, 10)
	h := New(nil, Options{Allow: func(addr net.Addr) bool {
		if addr.String() == bad.LocalAddr().String() {
			refused <- addr.String()
			return false
		}
		return true
	}})
	var wg sync.WaitGroup
	wg.Go(func() { h.ServePacket(t.Context(), pc, 2, nil) })
	defer func() {
		pc.Close()
		wg.Wait()
		h.Close()
	}()
	a.WriteTo([]byte("a joins\n"), pc.LocalAddr())
	waitLen(t, h, 1)
	bad.WriteTo([]byte("intruder\n"), pc.LocalAddr())
	select {
	case <-refused:
	case <-time.After(waitTimeout):
		t.Fatal("Allow was not asked about the new address")
	}
	b.WriteTo([]byte("b joins\n"), pc.LocalAddr()) // the second of -m 2
	if got := readDatagram(t, a); got != "b joins\n" {
		t.Errorf("a got %q, want only b's datagram", got)
	}
	if n := h.Len(); n != 2 {
		t.Errorf("%d members, want 2", n)
	}
}
