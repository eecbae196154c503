//go:build linux

package e2e

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gnc/internal/testnet"
)

// sockPath returns a fresh socket path in the test's temporary directory.
func sockPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

func requireGone(t *testing.T, path, why string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (%v): %s", path, err, why)
	}
}

// TestConnectUnix: -U connects to a stream socket; the session follows the
// TCP rules (half-close at stdin EOF, exit at the server's EOF).
func TestConnectUnix(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "s.sock")
	ln := testnet.Listen(t, "unix", path)
	p := gnc(t, "-U", path)
	c := accept(t, ln)
	p.write("over unix\n")
	readUntil(t, c, "over unix\n")
	write(t, c, "reply\n")
	p.waitStdout("reply\n")
	p.closeStdin()
	expectEOF(t, c, "")
	c.Close()
	p.expectExit(0)
}

// TestListenUnix: -U -l creates the socket, serves one client, and removes
// the file it created when it exits.
func TestListenUnix(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "l.sock")
	p := gnc(t, "-v", "-U", "-l", path)
	waitListening(t, "unix", 0, path)
	session(t, p, "unix", path)
	requireGone(t, path, "gnc removes the socket file it created")
	if want := "gnc: Listening on " + path + "\n"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
	}
}

// TestListenUnixKeepOpenSIGTERM: -U -l -k serves several clients; SIGTERM
// ends it, and the socket file is gone too.
func TestListenUnixKeepOpenSIGTERM(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "k.sock")
	p := gnc(t, "-U", "-l", "-k", path)
	waitListening(t, "unix", 0, path)
	a := dial(t, "unix", path)
	b := dial(t, "unix", path)
	write(t, a, "from a\n")
	write(t, b, "from b\n")
	p.waitStdout("from a\n")
	p.waitStdout("from b\n")
	p.write("to both\n")
	readUntil(t, a, "to both\n")
	readUntil(t, b, "to both\n")
	p.signal(syscall.SIGTERM)
	p.wait()
	if sig := p.killedBy(); sig != syscall.SIGTERM {
		t.Errorf("gnc ended with status %d, want killed by SIGTERM", p.exitCode())
	}
	requireGone(t, path, "gnc removes its socket file after SIGTERM too")
}

// TestListenUnixKeepsForeignFile: a path gnc did not create is neither
// replaced nor removed; the bind fails with exit 2.
func TestListenUnixKeepsForeignFile(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "taken")
	if err := os.WriteFile(path, []byte("not a socket"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := gnc(t, "-U", "-l", path)
	p.expectExit(2)
	if b, err := os.ReadFile(path); err != nil || string(b) != "not a socket" {
		t.Errorf("the existing file was changed: %q, %v", b, err)
	}
	if got := p.stderr.String(); !strings.Contains(got, "Address already in use") || !strings.Contains(got, "QUITTING.") {
		t.Errorf("stderr = %q, want a bind error ending in QUITTING.", got)
	}
}

// TestConnectUnixgram: -U -u sends datagrams from a temporary socket of its
// own, which the server can answer and which is removed at exit.
func TestConnectUnixgram(t *testing.T) {
	t.Parallel()
	path := sockPath(t, "d.sock")
	pc := testnet.ListenPacket(t, "unixgram", path)
	p := gnc(t, "-U", "-u", path)
	p.write("dgram\n")
	from := readDatagramUntil(t, pc, "dgram\n")
	src, ok := from.(*net.UnixAddr)
	if !ok || src.Name == "" {
		t.Fatalf("datagram came from %v; want a bound source socket to answer", from)
	}
	if _, err := pc.WriteTo([]byte("answer\n"), from); err != nil {
		t.Fatal(err)
	}
	p.waitStdout("answer\n")
	p.closeStdin()
	p.expectExit(0)
	requireGone(t, src.Name, "gnc removes its temporary source socket")
}

// TestListenUnixgram: -U -u -l receives datagrams and answers the sender;
// the socket file goes away when gnc is stopped.
func TestListenUnixgram(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "g.sock")
	p := gnc(t, "-U", "-u", "-l", path)
	waitListening(t, "unixgram", 0, path)
	client, err := net.DialUnix("unixgram",
		&net.UnixAddr{Name: filepath.Join(dir, "client.sock"), Net: "unixgram"},
		&net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	write(t, client, "hello\n")
	p.waitStdout("hello\n")
	p.write("back\n")
	if got := readUnix(t, client); got != "back\n" {
		t.Errorf("client got %q", got)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
	requireGone(t, path, "gnc removes its datagram socket file at exit")
}

// TestListenUnixgramKeepOpen: -U -u -l -k takes every sender.
func TestListenUnixgramKeepOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "g.sock")
	p := gnc(t, "-U", "-u", "-l", "-k", path)
	waitListening(t, "unixgram", 0, path)
	var clients []*net.UnixConn
	for i := range 2 {
		c, err := net.DialUnix("unixgram",
			&net.UnixAddr{Name: filepath.Join(dir, "c"+itoa(i)), Net: "unixgram"},
			&net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		write(t, c, "peer "+itoa(i)+"\n")
		p.waitStdout("peer " + itoa(i) + "\n")
		clients = append(clients, c)
	}
	p.write("all\n")
	for i, c := range clients {
		if got := readUnix(t, c); got != "all\n" {
			t.Errorf("client %d got %q", i, got)
		}
	}
	p.signal(syscall.SIGTERM)
	p.wait()
	requireGone(t, path, "gnc removes its datagram socket file at exit")
}

func readUnix(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	got, _ := readDatagram(t, c)
	return got
}
