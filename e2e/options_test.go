//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// TestCRLF: -C turns LF into CRLF on what is sent, never doubles an
// existing CRLF (even split across reads), leaves a lone CR, and never
// touches what is received.
func TestCRLF(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-C")
	p.write("a\nb\r\nc\r")
	readUntil(t, c, "a\r\nb\r\nc\r")
	p.write("\nd\n") // completes the CR sent in the previous read
	write(t, c, "p\nq\r\n")
	p.waitStdout("p\nq\r\n")
	p.closeStdin()
	expectEOF(t, c, "\nd\r\n")
	c.Close()
	p.expectExit(0)
	if got := p.stdout.String(); got != "p\nq\r\n" {
		t.Errorf("received data was changed: %q", got)
	}
}

// TestDelay: -d slows the relay but every byte still arrives in order.
func TestDelay(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-d", "50ms")
	for i := range 3 {
		p.write(fmt.Sprintf("line %d\n", i))
	}
	readUntil(t, c, "line 0\nline 1\nline 2\n")
	write(t, c, "r1\n")
	write(t, c, "r2\n")
	p.waitStdout("r1\nr2\n")
	c.Close()
	p.expectExit(0)
}

// TestIdleTimeoutConnect: -i in connect mode: exit 1 with ncat's message.
func TestIdleTimeoutConnect(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-i", "500ms")
	p.expectExit(1)
	if got, want := p.stderr.String(), "gnc: Idle timeout expired (500 ms).\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	expectEOF(t, c, "")
}

// TestIdleTimeoutReset: traffic in either direction restarts the -i timer.
func TestIdleTimeoutReset(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-i", "2s")
	for i := range 15 {
		if i%2 == 0 {
			write(t, c, "tick\n")
		} else {
			p.write("tock\n")
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.requireRunning("activity every 200ms keeps a -i 2s session alive")
	closeWrite(t, c)
	p.expectExit(0)
}

// TestIdleTimeoutListenSingle: -i ends a single-connection listener as
// ncat does: exit 2, "… QUITTING.".
func TestIdleTimeoutListenSingle(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-i", "500ms", "-l", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	p.expectExit(2)
	if got, want := p.stderr.String(), "gnc: Idle timeout expired (500 ms). QUITTING.\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	expectEOF(t, c, "")
}

// TestIdleTimeoutListenKeepOpen: with -k, -i closes only the idle client
// (gnc differs from ncat here, §13); the busy one and the server stay.
func TestIdleTimeoutListenKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-i", "1s", "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	idle := dial(t, "tcp", testnet.Addr(v4, port))
	busy := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, idle, "idle hello\n")
	write(t, busy, "busy hello\n")
	p.waitStdout("idle hello\n")
	p.waitStdout("busy hello\n")

	closed := make(chan error, 1)
	go func() {
		idle.SetReadDeadline(time.Now().Add(waitTimeout))
		var buf [64]byte
		for {
			if _, err := idle.Read(buf[:]); err != nil {
				closed <- err
				return
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var err error
loop:
	for i := 0; ; i++ {
		select {
		case err = <-closed:
			break loop
		case <-tick.C:
			write(t, busy, "b"+itoa(i)+"\n")
		}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the idle client was not closed within %v\n%s", waitTimeout, p.dump())
	}
	write(t, busy, "still here\n")
	p.waitStdout("still here\n")
	p.write("to busy\n")
	readUntil(t, busy, "to busy\n")
	p.requireRunning("-i closes the idle client only")
}

// TestOutputFile: -o logs both directions raw, in transfer order.
func TestOutputFile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "session.log")
	p, c := connectPair(t, "-o", out)
	p.write("sent\n")
	readUntil(t, c, "sent\n")
	write(t, c, "received\n")
	p.waitStdout("received\n")
	p.closeStdin()
	expectEOF(t, c, "")
	c.Close()
	p.expectExit(0)
	if got := readFile(t, out); got != "sent\nreceived\n" {
		t.Errorf("-o file = %q", got)
	}
}

// TestHexDump: -x writes ncat's layout, one dump per chunk, offsets
// restarting at 0000.
func TestHexDump(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "session.hex")
	p, c := connectPair(t, "-x", out)
	chunk := "hello world, this is a test of hexdump\x00\x01\xff\n"
	write(t, c, chunk)
	p.waitStdout(chunk)
	write(t, c, "abc")
	p.waitStdout(chunk + "abc")
	p.write("xy\n")
	readUntil(t, c, "xy\n")
	p.closeStdin()
	expectEOF(t, c, "")
	c.Close()
	p.expectExit(0)
	want := "" +
		"0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello.world,.thi\n" +
		"0010   73 20 69 73 20 61 20 74  65 73 74 20 6f 66 20 68  s.is.a.test.of.h\n" +
		"0020   65 78 64 75 6d 70 00 01  ff 0a                    exdump....      \n" +
		"0000   61 62 63                                          abc             \n" +
		"0000   78 79 0a                                          xy.             \n"
	if got := readFile(t, out); got != want {
		t.Errorf("-x file:\n%s\nwant:\n%s", got, want)
	}
}

// TestAppendOutput: -o truncates an existing file; --append-output keeps
// it, for -o and -x alike.
func TestAppendOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		append bool
		flag   string
		want   func(old string) string
	}{
		{"-o truncates", false, "-o", func(string) string { return "data\n" }},
		{"-o --append-output", true, "-o", func(old string) string { return old + "data\n" }},
		{"-x --append-output", true, "-x", func(old string) string {
			return old + "0000   64 61 74 61 0a                                    data.           \n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "log")
			const old = "previous contents\n"
			if err := os.WriteFile(out, []byte(old), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{tc.flag, out}
			if tc.append {
				args = append(args, "--append-output")
			}
			p, c := connectPair(t, args...)
			p.closeStdin()
			expectEOF(t, c, "")
			write(t, c, "data\n")
			p.waitStdout("data\n")
			c.Close()
			p.expectExit(0)
			if got, want := readFile(t, out), tc.want(old); got != want {
				t.Errorf("file = %q, want %q", got, want)
			}
		})
	}
}

// TestTelnet: -t answers every negotiation (DONT for WILL/WONT, WONT for
// DO/DONT), also mid-stream, and keeps IAC sequences off stdout (§13).
func TestTelnet(t *testing.T) {
	t.Parallel()
	p, c := connectPair(t, "-t")
	write(t, c, "\xff\xfd\x01\xff\xfb\x03hi\xff\xfd\x18\n")
	want := "\xff\xfc\x01\xff\xfe\x03\xff\xfc\x18"
	if got := readUntil(t, c, want); got != want {
		t.Errorf("gnc answered % x, want % x", got, want)
	}
	p.waitStdout("hi\n")
	c.Close()
	p.expectExit(0)
	if got := p.stdout.String(); got != "hi\n" {
		t.Errorf("stdout = %q, want %q", got, "hi\n")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTelnetKeepOpen checks -t in listen -k mode: each client's
// negotiation is answered to that client and kept off stdout.
func TestTelnetKeepOpen(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-t", "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, v4)
	for i := range 2 {
		c := dial(t, "tcp", testnet.Addr(v4, port))
		write(t, c, "\xff\xfd\x01x"+itoa(i)+"\xff\xfb\x03\n")
		want := "\xff\xfc\x01\xff\xfe\x03"
		if got := readUntil(t, c, want); got != want {
			t.Errorf("client %d: gnc answered % x, want % x", i, got, want)
		}
		p.waitStdout("x" + itoa(i) + "\n")
		c.Close()
	}
	if got := p.stdout.String(); got != "x0\nx1\n" {
		t.Errorf("stdout = %q, want %q", got, "x0\nx1\n")
	}
}
