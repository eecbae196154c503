//go:build linux

package spawn

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/relay"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return server, client
}

func newProgram(t *testing.T, kind Kind, arg string) *Program {
	t.Helper()
	p, err := New(kind, arg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runAsync runs p on conn; the returned channel gets Run's error.
func runAsync(t *testing.T, p *Program, conn net.Conn, o Options) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Run(t.Context(), conn, o) }()
	return done
}

func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// exchange sends in, half-closes and reads everything back.
func exchange(t *testing.T, client net.Conn, in string) string {
	t.Helper()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(client, in); err != nil {
		t.Fatal(err)
	}
	client.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestRun(t *testing.T) {
	script := writeScript(t, `for l in io.lines() do io.write(l:upper(), "\n") end io.write(os.getenv("NCAT_PROTO"), "\n")`)
	crlf := &relay.Options{CRLF: true}
	tests := []struct {
		name     string
		kind     Kind
		arg      string
		relay    *relay.Options
		in, want string
	}{
		{"exec socket", Exec, "/bin/cat", nil, "a\nb\n", "a\nb\n"},
		{"exec args socket", Exec, `/usr/bin/tr a-z A-Z`, nil, "abc\n", "ABC\n"},
		{"shell socket", Shell, "tr a-z A-Z; echo done", nil, "abc\n", "ABC\ndone\n"},
		{"exec pipes", Exec, "/bin/cat", &relay.Options{}, "a\nb\n", "a\nb\n"},
		{"exec pipes crlf on output", Exec, "/bin/cat", crlf, "a\nb\r\n", "a\r\nb\r\n"},
		{"shell output after EOF", Shell, "cat; echo after", &relay.Options{}, "x\n", "x\nafter\n"},
		{"env", Shell, `echo "$NCAT_PROTO $NCAT_LOCAL_ADDR $NCAT_REMOTE_ADDR"`, nil, "", "TCP 127.0.0.1 127.0.0.1\n"},
		{"lua", Lua, script, nil, "ab\ncd\n", "AB\nCD\nTCP\n"},
		{"lua crlf", Lua, script, crlf, "ab\n", "AB\r\nTCP\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client := pair(t)
			done := runAsync(t, newProgram(t, tt.kind, tt.arg), server, Options{Relay: tt.relay})
			if got := exchange(t, client, tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err := waitRun(t, done); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// TestRunChildExitCloses: when the child exits, the client sees the
// connection end while it still has its side open.
func TestRunChildExitCloses(t *testing.T) {
	for _, r := range []*relay.Options{nil, {}} {
		server, client := pair(t)
		done := runAsync(t, newProgram(t, Shell, "echo bye"), server, Options{Relay: r})
		client.SetDeadline(time.Now().Add(10 * time.Second))
		out, err := io.ReadAll(client)
		if err != nil || string(out) != "bye\n" {
			t.Errorf("pipes=%v: read %q, %v", r != nil, out, err)
		}
		if err := waitRun(t, done); err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestRunBadPath(t *testing.T) {
	for _, r := range []*relay.Options{nil, {}} {
		server, client := pair(t)
		err := newProgram(t, Exec, "/nonexistent/gnc-test arg").Run(t.Context(), server, Options{Relay: r})
		var se *StartError
		if !errors.As(err, &se) || err.Error() != "exec: No such file or directory" || !errors.Is(err, syscall.ENOENT) {
			t.Errorf("pipes=%v: Run = %v", r != nil, err)
		}
		client.SetDeadline(time.Now().Add(10 * time.Second))
		if out, err := io.ReadAll(client); err != nil || len(out) != 0 {
			t.Errorf("client read %q, %v; want a plain close", out, err)
		}
	}
}

// TestRunCancel: cancelling the context stops a child that would run
// forever, and Run still reaps it.
func TestRunCancel(t *testing.T) {
	for _, r := range []*relay.Options{nil, {}} {
		server, _ := pair(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- newProgram(t, Exec, "/bin/sleep 60").Run(ctx, server, Options{Relay: r}) }()
		cancel()
		if err := waitRun(t, done); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("pipes=%v: Run = %v", r != nil, err)
		}
	}
}

func TestNewEmpty(t *testing.T) {
	if _, err := New(Exec, "  "); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("New(Exec, blank) = %v", err)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		local, remote net.Addr
		want          string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5000},
			"NCAT_REMOTE_ADDR=127.0.0.2 NCAT_REMOTE_PORT=5000 NCAT_LOCAL_ADDR=127.0.0.1 NCAT_LOCAL_PORT=80 NCAT_PROTO=TCP"},
		{&net.UDPAddr{IP: net.IPv6loopback, Port: 53}, &net.UDPAddr{IP: net.IPv6loopback, Port: 4000},
			"NCAT_REMOTE_ADDR=::1 NCAT_REMOTE_PORT=4000 NCAT_LOCAL_ADDR=::1 NCAT_LOCAL_PORT=53 NCAT_PROTO=UDP"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 1}, &net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 2},
			"NCAT_REMOTE_ADDR=127.0.0.1 NCAT_REMOTE_PORT=2 NCAT_LOCAL_ADDR=10.0.0.1 NCAT_LOCAL_PORT=1 NCAT_PROTO=TCP"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, &net.UnixAddr{Net: "unix"},
			"NCAT_REMOTE_ADDR=localhost NCAT_REMOTE_PORT= NCAT_LOCAL_ADDR=localhost NCAT_LOCAL_PORT= NCAT_PROTO=TCP"},
	}
	for _, tt := range tests {
		if got := strings.Join(Env(tt.local, tt.remote), " "); got != tt.want {
			t.Errorf("Env(%v, %v) = %q, want %q", tt.local, tt.remote, got, tt.want)
		}
	}
}
