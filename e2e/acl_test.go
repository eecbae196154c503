//go:build linux

package e2e

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// Access control (ncat-behaviour.md §10): clients come from 127.0.0.1,
// 127.0.0.2 (a Dialer with a LocalAddr) and ::1.

const v4b = "127.0.0.2"

const msgDenied = "gnc: New connection denied: not allowed\n"

// dialFrom connects to addr from the source address src.
func dialFrom(t *testing.T, network, src, addr string) net.Conn {
	t.Helper()
	var local net.Addr
	switch network {
	case "tcp":
		local = &net.TCPAddr{IP: net.ParseIP(src)}
	case "udp":
		local = &net.UDPAddr{IP: net.ParseIP(src)}
	}
	d := net.Dialer{LocalAddr: local, Timeout: waitTimeout}
	c, err := d.Dial(network, addr)
	if err != nil {
		t.Fatalf("dial %s %s from %s: %v", network, addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectRefusedClient checks that gnc closed c without sending anything:
// the next read ends in EOF, or in a reset when what the client wrote
// arrived before the close.
func expectRefusedClient(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("refused client %v: read %q, then %v; want EOF or reset", c.LocalAddr(), b, err)
	}
	if len(b) > 0 {
		t.Fatalf("refused client %v got %q", c.LocalAddr(), b)
	}
}

// TestAccessTCP: allow and deny lists over 127.0.0.1, 127.0.0.2 and ::1
// on gnc's dual-stack -k listener: a refused client is closed with ncat's
// -v lines and its bytes never reach stdout; deny wins over allow; IPv4
// specs never match ::1, and an IPv6 mapped spec matches its IPv4 client.
func TestAccessTCP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		allowed map[string]bool
	}{
		{"allow v4 range", []string{"--allow", "127.0.0.1-"}, map[string]bool{v4: true, v4b: true, v6: false}},
		{"deny wins", []string{"--allow", "127.0.0.0/8,::1", "--deny", "127.0.0.2"}, map[string]bool{v4: true, v4b: false, v6: true}},
		{"deny only", []string{"--deny", "::1", "--deny", "127.0.0.0/31"}, map[string]bool{v4: false, v4b: true, v6: false}},
		{"mapped spec", []string{"--allow", "::ffff:127.0.0.1"}, map[string]bool{v4: true, v4b: false, v6: false}},
		{"all v6", []string{"--allow", "::/0", "--deny", "::ffff:127.0.0.2"}, map[string]bool{v4: true, v4b: false, v6: true}},
		{"names", []string{"--allow", "localhost/8"}, map[string]bool{v4: true, v4b: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePortDual(t, "tcp")
			p := gnc(t, append([]string{"-lkv", itoa(port)}, tc.args...)...)
			p.waitStderrCount("Listening on", 1)
			waitListening(t, "tcp", port, "")
			denied := 0
			for _, src := range []string{v4, v4b, v6} {
				want, ok := tc.allowed[src]
				if !ok || src == v6 && !testnet.HasIPv6() {
					continue
				}
				dst := v4
				if src == v6 {
					dst = v6
				}
				c := dialFrom(t, "tcp", src, testnet.Addr(dst, port))
				msg := "hello from " + src + "\n"
				write(t, c, msg)
				if want {
					p.waitStdout(msg)
					continue
				}
				denied++
				expectRefusedClient(t, c)
				p.waitStderrCount(msgDenied, denied)
				if !strings.Contains(p.stderr.String(), "gnc: Connection from "+src+".\n") {
					t.Errorf("no Connection from line for %s:\n%s", src, p.stderr.String())
				}
			}
			// A last allowed client proves the refused ones were never
			// read: everything before its bytes is from allowed clients.
			c := dialFrom(t, "tcp", v4, testnet.Addr(v4, port))
			if tc.allowed[v4] {
				write(t, c, "last\n")
				out := p.waitStdout("last\n")
				for src, ok := range tc.allowed {
					if !ok && strings.Contains(out, "hello from "+src+"\n") {
						t.Errorf("refused client %s's bytes reached stdout: %q", src, out)
					}
				}
			}
			p.requireRunning("a -k listener outlives refusals")
		})
	}
}

// TestAccessSingleConnection: without -k a refused client does not end
// the wait (ncat 7.93 closes its listeners and hangs); the next allowed
// client gets the session.
func TestAccessSingleConnection(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lv", "--deny", v4b, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	for range 2 {
		bad := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port))
		write(t, bad, "refused\n")
		expectRefusedClient(t, bad)
	}
	p.waitStderrCount(msgDenied, 2)
	good := dialFrom(t, "tcp", v4, testnet.Addr(v4, port))
	write(t, good, "welcome\n")
	p.waitStdout("welcome\n")
	p.write("reply\n")
	readUntil(t, good, "reply\n")
	closeWrite(t, good)
	p.expectExit(0)
	if got := p.stdout.String(); got != "welcome\n" {
		t.Errorf("stdout = %q", got)
	}
}

// TestAccessMaxConns: refused clients never take a -m slot, even while
// their side stays open, and are refused as "not allowed", not as over
// the limit.
func TestAccessMaxConns(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lkv", "-m", "1", "--deny", v4b, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	for range 3 {
		bad := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port)) // left open on this side
		expectRefusedClient(t, bad)
	}
	p.waitStderrCount(msgDenied, 3)
	a := dialFrom(t, "tcp", v4, testnet.Addr(v4, port))
	write(t, a, "in the slot\n")
	p.waitStdout("in the slot\n")
	bad := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port))
	expectRefusedClient(t, bad)
	p.waitStderrCount(msgDenied, 4)
	if strings.Contains(p.stderr.String(), "connection limit reached") {
		t.Errorf("a refused client counted against -m:\n%s", p.stderr.String())
	}
	extra := dialFrom(t, "tcp", v4, testnet.Addr(v4, port))
	expectEOF(t, extra, "")
	p.waitStderr("New connection denied: connection limit reached (1)")
}

// writeSpecs writes a spec file in dir.
func writeSpecs(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAccessFilesReload: --allowfile and --denyfile with comments; SIGHUP
// reloads them and changes the verdict; a broken file on reload keeps the
// old lists and says why; gnc keeps running through all of it.
func TestAccessFilesReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	allow, deny := filepath.Join(dir, "allow"), filepath.Join(dir, "deny")
	writeSpecs(t, allow, "# loopback\n127.0.0.0/8   # both test clients\n\n")
	writeSpecs(t, deny, "127.0.0.2 # not this one\n")
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lkv", "--allowfile", allow, "--denyfile", deny, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	addr := testnet.Addr(v4, port)
	verdict := func(src string, allowed bool, denials int) {
		t.Helper()
		c := dialFrom(t, "tcp", src, addr)
		if allowed {
			msg := "from " + src + " " + itoa(denials) + "\n"
			write(t, c, msg)
			p.waitStdout(msg)
			return
		}
		expectRefusedClient(t, c)
		p.waitStderrCount(msgDenied, denials)
	}
	verdict(v4, true, 0)
	verdict(v4b, false, 1)

	writeSpecs(t, deny, "# now the other one\n127.0.0.1\n")
	p.signal(syscall.SIGHUP)
	p.waitStderrCount("gnc: Reloaded --allowfile/--denyfile: 1 allowed and 1 denied address specs.\n", 1)
	verdict(v4b, true, 1)
	verdict(v4, false, 2)

	writeSpecs(t, allow, "127.0.0.0/40\n")
	p.signal(syscall.SIGHUP)
	p.waitStderr("gnc: Reloading --allowfile/--denyfile failed; the old lists stay in force: " + allow + `:1: Illegal netmask in "127.0.0.0/40". Must be smaller than address bit length.` + "\n")
	os.Remove(allow)
	p.signal(syscall.SIGHUP)
	p.waitStderr("the old lists stay in force: can't open " + allow + ": No such file or directory.\n")
	verdict(v4b, true, 2)
	verdict(v4, false, 3)
	p.requireRunning("SIGHUP reloads the files; it does not stop gnc")

	p.signal(syscall.SIGTERM)
	p.wait()
	if sig := p.killedBy(); sig != syscall.SIGTERM {
		t.Errorf("gnc ended by %v after SIGTERM, want SIGTERM", sig)
	}
}

// TestAccessHangupWithoutFiles: with --allow alone there is nothing to
// reload, and SIGHUP stops gnc as before.
func TestAccessHangupWithoutFiles(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lk", "--allow", v4, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	p.signal(syscall.SIGHUP)
	p.wait()
	if sig := p.killedBy(); sig != syscall.SIGHUP {
		t.Errorf("gnc ended by %v after SIGHUP, want SIGHUP (%s)", sig, p.dump())
	}
}

// TestAccessUDP: a refused datagram is dropped, in single-peer UDP listen
// (the refused sender does not become the peer) and with -k (it does not
// become a member).
func TestAccessUDP(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		name := "single"
		args := []string{"-ulv", "--allow", v4}
		if keep {
			name, args = "keep-open", []string{"-ulkv", "--deny", v4b}
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "udp", v4)
			addr := testnet.Addr(v4, port)
			p := gnc(t, append(args, v4, itoa(port))...)
			waitListening(t, "udp", port, "")
			bad := dialFrom(t, "udp", v4b, addr)
			write(t, bad, "dropped 1\n")
			p.waitStderrCount(msgDenied, 1)
			good := dialFrom(t, "udp", v4, addr)
			write(t, good, "kept\n")
			p.waitStdout("kept\n")
			write(t, bad, "dropped 2\n")
			if keep {
				p.waitStderrCount(msgDenied, 2)
			} // else the socket is connected to the peer: the kernel drops it
			p.write("reply\n")
			if got := readUDP(t, good.(*net.UDPConn)); got != "reply\n" {
				t.Errorf("allowed peer got %q", got)
			}
			if keep {
				expectQuiet(t, bad, 100*time.Millisecond) // stdin went to members only
			}
			if out := p.stdout.String(); strings.Contains(out, "dropped") {
				t.Errorf("a refused datagram reached stdout: %q", out)
			}
		})
	}
}

// TestAccessBroker: the broker and chat refuse clients before they join:
// a refused TCP client is closed and hears nothing; a refused UDP peer's
// datagrams reach nobody.
func TestAccessBroker(t *testing.T) {
	t.Parallel()
	t.Run("tcp broker", func(t *testing.T) {
		t.Parallel()
		p, addr := startRoom(t, "-v", "--broker", "--deny", v4b)
		a, b := dialFrom(t, "tcp", v4, addr), dialFrom(t, "tcp", v4, addr)
		bad := dialFrom(t, "tcp", v4b, addr)
		write(t, bad, "intruder\n")
		expectRefusedClient(t, bad)
		p.waitStderr(msgDenied)
		write(t, b, "members only\n")
		if got := readUntil(t, a, "members only\n"); strings.Contains(got, "intruder") {
			t.Errorf("a refused client's bytes were relayed: %q", got)
		}
	})
	t.Run("udp chat", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		p := gnc(t, "-v", "-u", "--chat", "--allow", v4, v4, itoa(port))
		waitListening(t, "udp", port, "")
		addr := testnet.Addr(v4, port)
		a := dialFrom(t, "udp", v4, addr)
		write(t, a, "hi\n")
		p.waitStdout("hi\n")
		bad := dialFrom(t, "udp", v4b, addr)
		write(t, bad, "intruder\n")
		p.waitStderr(msgDenied)
		write(t, a, "still alone\n")
		out := p.waitStdout("still alone\n")
		if strings.Contains(out, "intruder") || strings.Contains(out, v4b) {
			t.Errorf("a refused peer reached the room: %q", out)
		}
		expectQuiet(t, bad, 100*time.Millisecond)
	})
}

// TestAccessErrors: bad access-control options end gnc with status 2 and
// one line naming the problem, before it listens.
func TestAccessErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--allowfile", missing, "-l", "0"}, "gnc: can't open " + missing + ": No such file or directory. QUITTING.\n"},
		{[]string{"-l", "--deny", "10.0.0.0/33", "0"}, `gnc: Illegal netmask in "10.0.0.0/33". Must be smaller than address bit length. QUITTING.` + "\n"},
		{[]string{"-ln", "--allow", "localhost", "0"}, `gnc: Error resolving name "localhost": Name or service not known (-n allows numeric addresses only) QUITTING.` + "\n"},
		{[]string{"--allow", v4, v4, "1"}, "gnc: Invalid option combination: allow/deny with connect. QUITTING.\n"},
		{[]string{"-lU", "--deny", v4, "/tmp/x.sock"}, "gnc: --allow, --deny, --allowfile and --denyfile cannot be used with Unix domain sockets (-U): their clients have no IP address. QUITTING.\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			p := gnc(t, tc.args...)
			p.expectExit(2)
			if got := p.stderr.String(); got != tc.want {
				t.Errorf("stderr = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAccessRefusalsLeakNothing: many refused clients leave gnc with the
// descriptors it had before them.
func TestAccessRefusalsLeakNothing(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	p := gnc(t, "-lk", "--deny", v4b, v4, itoa(port))
	waitListening(t, "tcp", port, "")
	before := fdCount(t, p.pid())
	for range 50 {
		c := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port))
		expectRefusedClient(t, c)
		c.Close()
	}
	waitFDs(t, p.pid(), "back to "+itoa(before), func(n int) bool { return n <= before })
	p.requireRunning("refusals do not stop a -k listener")
}

// TestAccessExec: a program per client starts only for allowed clients,
// over TCP (-k and single) and UDP (a refused peer's datagrams never
// reach a program).
func TestAccessExec(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		name := "tcp single"
		if keep {
			name = "tcp keep-open"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			args := []string{"-lv", "--deny", v4b, "-e", "/bin/cat", v4, itoa(port)}
			if keep {
				args[0] = "-lkv"
			}
			p := gnc(t, args...)
			waitListening(t, "tcp", port, "")
			bad := dialFrom(t, "tcp", v4b, testnet.Addr(v4, port))
			write(t, bad, "refused\n")
			expectRefusedClient(t, bad)
			p.waitStderrCount(msgDenied, 1)
			good := dialFrom(t, "tcp", v4, testnet.Addr(v4, port))
			write(t, good, "echo\n")
			closeWrite(t, good)
			if got := readAll(t, good); got != "echo\n" {
				t.Errorf("allowed client got %q from /bin/cat", got)
			}
		})
	}
	t.Run("udp", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		addr := testnet.Addr(v4, port)
		p := gnc(t, "-ulv", "--allow", v4, "-e", "/bin/cat", v4, itoa(port))
		waitListening(t, "udp", port, "")
		bad := dialFrom(t, "udp", v4b, addr)
		write(t, bad, "dropped\n")
		p.waitStderrCount(msgDenied, 1)
		good := dialFrom(t, "udp", v4, addr)
		write(t, good, "kept\n")
		if got := readUDP(t, good.(*net.UDPConn)); got != "kept\n" {
			t.Errorf("allowed peer got %q from /bin/cat", got)
		}
		expectQuiet(t, bad, 100*time.Millisecond)
	})
}
