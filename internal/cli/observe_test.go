package cli

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTableRequests: SIGUSR1, delivered through the Signals main passes
// in, makes Run print the table, and Run goes on; the table names the
// client.
func TestTableRequests(t *testing.T) {
	if len(tableSignals()) == 0 {
		t.Skip("no signal asks for the table on this system")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer errR.Close()
	sigs := NewSignals(make(chan os.Signal, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- RunWithSignals(ctx, sigs, []string{"127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}, inR, io.Discard, errW)
		errW.Close()
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(inW, "abc")
	buf := make([]byte, 3)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	// The count follows the copy's return (or the peer's ACK) a moment
	// after the peer has the bytes, so ask until the table shows them.
	lines := bufio.NewScanner(errR)
	var got []string
	for range 100 {
		if !sigs.Deliver(tableSignals()[0]) {
			time.Sleep(10 * time.Millisecond) // Run has not claimed it yet
			continue
		}
		got = got[:0]
		for len(got) < 3 && lines.Scan() {
			got = append(got, lines.Text())
		}
		if len(got) == 3 && got[0] == "gnc: 1 connection, 0 listening; 0 accepted, 0 denied; 0 bytes in, 3 bytes out" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != 3 || got[0] != "gnc: 1 connection, 0 listening; 0 accepted, 0 denied; 0 bytes in, 3 bytes out" ||
		!strings.HasPrefix(got[1], "Proto") || !strings.Contains(got[2], c.LocalAddr().String()) || !strings.Contains(got[2], c.RemoteAddr().String()) {
		t.Errorf("table = %q", got)
	}
	inW.Close()
	c.Close()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestSizeToSend(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "in")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("0123456789")
	f.Seek(4, io.SeekStart)
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		name string
		in   io.Reader
		want int64
	}{
		{"file, part read", f, 6},
		{"pipe", r, 0},
		{"not a file", strings.NewReader("x"), 0},
	} {
		if got := sizeToSend(tc.in); got != tc.want {
			t.Errorf("%s: sizeToSend = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestShowProgress(t *testing.T) {
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		mode string
		want bool
	}{{"", false}, {"auto", false}, {"always", true}} {
		e := &env{cfg: Config{Progress: tc.mode}, stderr: w}
		if got := e.showProgress(); got != tc.want {
			t.Errorf("--progress=%q with a pipe on stderr: showProgress = %v, want %v", tc.mode, got, tc.want)
		}
	}
	if isTerminal(w) || isTerminal(io.Discard) {
		t.Error("a pipe or io.Discard taken for a terminal")
	}
}
