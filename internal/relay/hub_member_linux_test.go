package relay

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// A member whose data (and EOF) came in before it joined is read on the
// joining goroutine: what it sent is on stdout when AddConn returns, and a
// member that already said EOF has left by then. One that has not goes on
// being read. A Unix socket pair makes the peer's writes visible at once.
func TestHubReadsReadyMemberInline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        Options
		sent     string
		eof      bool
		inline   bool   // stdout and Len are settled when AddConn returns
		want     string // stdout after the rest is sent
		thenSend string
	}{
		{name: "data and EOF", sent: "hello\n", eof: true, inline: true, want: "hello\n"},
		{name: "EOF only", eof: true, inline: true, want: ""},
		{name: "data, then more", sent: "a", inline: true, thenSend: "b\n", want: "a" + "b\n"},
		{name: "nothing yet", thenSend: "late\n", want: "late\n"},
		{name: "telnet leaves it to the member's goroutine", o: Options{Telnet: true}, sent: "\xff\xfe\x01x\n", eof: true, want: "x\n"},
		{name: "idle timeout leaves it to the member's goroutine", o: Options{IdleTimeout: time.Minute},
			sent: "i\n", eof: true, want: "i\n"},
		{name: "delay leaves it to the member's goroutine", o: Options{Delay: time.Millisecond},
			sent: "d\n", eof: true, want: "d\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			ours, peer := unixPair(t, filepath.Join(t.TempDir(), "s"))
			stdout := newSyncBuffer()
			hub := NewHub(stdout, tc.o, nil)
			defer hub.Close()
			if tc.sent != "" {
				if _, err := peer.Write([]byte(tc.sent)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.eof && tc.thenSend == "" {
				peer.(interface{ CloseWrite() error }).CloseWrite()
			}
			if !hub.AddConn(ours, -1) {
				t.Fatal("AddConn refused the member")
			}
			if tc.inline {
				wantOut, wantLen := tc.sent, 1
				if tc.eof {
					wantOut, wantLen = tc.want, 0
				}
				if got, n := stdout.String(), hub.Len(); got != wantOut || n != wantLen {
					t.Errorf("when AddConn returned: stdout %q and %d members, want %q and %d", got, n, wantOut, wantLen)
				}
			}
			if tc.thenSend != "" {
				peer.Write([]byte(tc.thenSend))
				peer.(interface{ CloseWrite() error }).CloseWrite()
			}
			stdout.waitString(ctx, t, tc.want)
			for hub.Len() != 0 {
				select {
				case <-ctx.Done():
					t.Fatal("the member never left")
				case <-time.After(time.Millisecond):
				}
			}
		})
	}
}

// readNow reads bare sockets only, and never reports EOF for an empty
// buffer.
func TestReadNow(t *testing.T) {
	ours, peer := unixPair(t, filepath.Join(t.TempDir(), "s"))
	if n, err := readNow(ours, nil); n != 0 || err != nil {
		t.Errorf("readNow with no buffer: %d, %v; want 0, nil", n, err)
	}
	buf := make([]byte, 16)
	if _, err := readNow(ours, buf); err != errWouldBlock {
		t.Errorf("readNow on a silent peer: %v, want errWouldBlock", err)
	}
	if n, err := readNow(struct{ net.Conn }{ours}, buf); n != 0 || err != nil {
		t.Errorf("readNow on a wrapper: %d, %v; want 0, nil (not readable this way)", n, err)
	}
	peer.Write([]byte("hi"))
	if n, err := readNow(ours, buf); n != 2 || err != nil || string(buf[:n]) != "hi" {
		t.Errorf("readNow with data waiting: %q, %v", buf[:n], err)
	}
	peer.(interface{ CloseWrite() error }).CloseWrite()
	if _, err := readNow(ours, buf); err != io.EOF {
		t.Errorf("readNow after the peer's EOF: %v, want io.EOF", err)
	}
}
