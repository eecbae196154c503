//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// upperLua is a --lua-exec service: each line back in upper case.
const upperLua = `for line in io.lines() do io.write(line:upper(), "\n") end`

func luaScript(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "service.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// upperServices are the ways to run an upper-casing service.
func upperServices(t *testing.T) [][]string {
	return [][]string{
		{"-e", "/usr/bin/tr a-z A-Z"},
		{"--exec=/usr/bin/tr a-z A-Z"},
		{"-c", "tr a-z A-Z"},
		{"--lua-exec", luaScript(t, upperLua)},
	}
}

// TestExecListen: a single-connection listener runs the program for its
// client; the client's EOF reaches the program, whose last output still
// arrives, then the connection ends and gnc exits 0.
func TestExecListen(t *testing.T) {
	t.Parallel()
	for _, svc := range append(upperServices(t), []string{"-e", "/bin/cat"}) {
		t.Run(strings.Join(svc, " "), func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			g := gnc(t, append([]string{"-l", v4, itoa(port)}, svc...)...)
			waitListening(t, "tcp", port, "")
			c := dial(t, "tcp", testnet.Addr(v4, port))
			want := "HELLO\n"
			if strings.HasSuffix(svc[len(svc)-1], "/bin/cat") {
				want = "hello\n"
			}
			// tr writes its output when its input ends (stdio buffers a
			// socket), so this also shows that the client's EOF reaches
			// the program and its output still comes back.
			write(t, c, "hello\n")
			closeWrite(t, c)
			if got := readAll(t, c); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			g.expectExit(0)
			if s := g.stderr.String(); s != "" {
				t.Errorf("stderr %q", s)
			}
		})
	}
}

// TestExecConnect: in connect mode the program talks to the target, and
// gnc exits 0 when the program is done.
func TestExecConnect(t *testing.T) {
	t.Parallel()
	for _, svc := range upperServices(t) {
		t.Run(strings.Join(svc, " "), func(t *testing.T) {
			t.Parallel()
			ln, port := listenTCP(t, v4)
			g := gnc(t, append([]string{v4, itoa(port)}, svc...)...)
			c := accept(t, ln)
			write(t, c, "abc\n")
			closeWrite(t, c)
			expectEOF(t, c, "ABC\n")
			g.expectExit(0)
		})
	}
}

// envLine prints the child's NCAT_* variables and whether it ignores
// SIGPIPE (bit 13 of SigIgn).
const envLine = `echo "$NCAT_REMOTE_ADDR|$NCAT_REMOTE_PORT|$NCAT_LOCAL_ADDR|$NCAT_LOCAL_PORT|$NCAT_PROTO|$(grep SigIgn /proc/self/status)"`

func sigpipeIgnored(t *testing.T, line string) bool {
	t.Helper()
	i := strings.LastIndex(line, "\t")
	mask, err := strconv.ParseUint(strings.TrimSpace(line[i+1:]), 16, 64)
	if err != nil {
		t.Fatalf("SigIgn in %q: %v", line, err)
	}
	return mask&(1<<12) != 0
}

// envLua prints the NCAT_* variables as a --lua-exec script sees them, in
// envLine's order, then runs envLine with os.execute.
const envLua = `
local vals = {}
for i, name in ipairs({"NCAT_REMOTE_ADDR", "NCAT_REMOTE_PORT", "NCAT_LOCAL_ADDR", "NCAT_LOCAL_PORT", "NCAT_PROTO"}) do
	vals[i] = os.getenv(name)
end
print(table.concat(vals, "|"))
os.execute([[` + envLine + `]])
`

// TestExecEnv: the child's environment names both ends as ncat does, and
// SIGPIPE is at its default. A Lua script sees the same variables, and so
// does a command it runs with os.execute, whose output goes to the client.
func TestExecEnv(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, got, want string) {
		t.Helper()
		got = strings.TrimSuffix(got, "\n")
		if !strings.HasPrefix(got, want+"|") {
			t.Errorf("child printed %q, want %q then SigIgn", got, want)
		}
		if sigpipeIgnored(t, got) {
			t.Errorf("SIGPIPE is ignored in the child: %q", got)
		}
	}
	checkLua := func(t *testing.T, got, want string) {
		t.Helper()
		fromScript, fromCommand, _ := strings.Cut(got, "\n")
		if fromScript != want {
			t.Errorf("script printed %q, want %q", fromScript, want)
		}
		check(t, fromCommand, want)
	}
	services := []struct {
		name  string
		args  []string
		check func(t *testing.T, got, want string)
	}{
		{"-c", []string{"-c", envLine}, check},
		{"--lua-exec", []string{"--lua-exec", luaScript(t, envLua)}, checkLua},
	}
	for _, svc := range services {
		for _, host := range []string{v4, v6} {
			t.Run(svc.name+" listen "+host, func(t *testing.T) {
				t.Parallel()
				if host == v6 {
					testnet.RequireIPv6(t)
				}
				port := testnet.FreePort(t, "tcp", host)
				g := gnc(t, append([]string{"-l", host, itoa(port)}, svc.args...)...)
				waitListening(t, "tcp", port, "")
				c := dial(t, "tcp", testnet.Addr(host, port))
				la, ra := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
				svc.check(t, readAll(t, c), fmt.Sprintf("%s|%d|%s|%d|TCP", host, la.Port, host, ra.Port))
				g.expectExit(0)
			})
			t.Run(svc.name+" connect "+host, func(t *testing.T) {
				t.Parallel()
				if host == v6 {
					testnet.RequireIPv6(t)
				}
				ln, port := listenTCP(t, host)
				g := gnc(t, append([]string{host, itoa(port)}, svc.args...)...)
				c := accept(t, ln)
				la, ra := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
				svc.check(t, readAll(t, c), fmt.Sprintf("%s|%d|%s|%d|TCP", host, la.Port, host, ra.Port))
				g.expectExit(0)
			})
		}
	}
	t.Run("unix", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "s")
		g := gnc(t, "-U", "-l", path, "-c", envLine)
		waitListening(t, "unix", 0, path)
		c := dial(t, "unix", path)
		check(t, readAll(t, c), "localhost||localhost||TCP")
		g.expectExit(0)
	})
	t.Run("udp", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		g := gnc(t, "-u", "-l", v4, itoa(port), "-c", envLine)
		waitListening(t, "udp", port, "")
		c := dial(t, "udp", testnet.Addr(v4, port))
		write(t, c, "x")
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(waitTimeout))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		la := c.LocalAddr().(*net.UDPAddr)
		check(t, string(buf[:n]), fmt.Sprintf("%s|%d|%s|%d|UDP", v4, la.Port, v4, port))
		g.expectExit(0) // the program has ended, and so has the session
	})
}

// childFDs lists a shell's open descriptors and what they are, one
// "N TARGET" line each, then "end".
const childFDs = `ls -l /proc/$$/fd; echo end`

var lsFD = regexp.MustCompile(`(?m) (\d+) -> (.*)$`)

// parseFDs reads childFDs' output into fd → target.
func parseFDs(t *testing.T, out string) map[string]string {
	t.Helper()
	fds := map[string]string{}
	for _, m := range lsFD.FindAllStringSubmatch(strings.ReplaceAll(out, "\r", ""), -1) {
		fds[m[1]] = m[2]
	}
	return fds
}

// inherited says the test process itself has fd n open on target: a
// descriptor passed down from whatever started the tests, not gnc's.
func inherited(n, target string) bool {
	own, err := os.Readlink("/proc/self/fd/" + n)
	return err == nil && own == target && !strings.HasPrefix(target, "socket:")
}

// TestExecDescriptors: with no option that needs the bytes the child's
// stdin and stdout are the socket itself; with -o they are pipes. Either
// way the child holds nothing but 0, 1 and 2, even while another client's
// child is running.
func TestExecDescriptors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  []string
		stdio *regexp.Regexp
	}{
		{"socket", nil, regexp.MustCompile(`^socket:\[\d+\]$`)},
		{"pipes with -o", []string{"-o", "LOG"}, regexp.MustCompile(`^pipe:\[\d+\]$`)},
		{"pipes with -C", []string{"-C"}, regexp.MustCompile(`^pipe:\[\d+\]$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			args := []string{"-lk", v4, itoa(port), "-c", `read first; if [ "$first" = fds ]; then ` + childFDs + `; else cat; fi`}
			for _, a := range tc.args {
				if a == "LOG" {
					a = filepath.Join(t.TempDir(), "log")
				}
				args = append(args, a)
			}
			g := gnc(t, args...)
			waitPort(t, testnet.Addr(v4, port))
			other := dial(t, "tcp", testnet.Addr(v4, port)) // a second child, running cat
			write(t, other, "x\n")
			write(t, other, "still here\n")
			readUntil(t, other, "still here")
			c := dial(t, "tcp", testnet.Addr(v4, port))
			write(t, c, "fds\n")
			out := readAll(t, c) // the child ends after its listing
			fds := parseFDs(t, out)
			for _, n := range []string{"0", "1"} {
				if !tc.stdio.MatchString(fds[n]) {
					t.Errorf("child fd %s is %q, want %v", n, fds[n], tc.stdio)
				}
			}
			if fds["0"] != fds["1"] && tc.stdio.String() == `^socket:\[\d+\]$` {
				t.Errorf("child stdin %q and stdout %q are not the same socket", fds["0"], fds["1"])
			}
			for n, target := range fds {
				if n != "0" && n != "1" && n != "2" && !inherited(n, target) {
					t.Errorf("child holds fd %s (%s) it was not given", n, target)
				}
			}
			g.signal(syscall.SIGTERM)
			g.wait()
		})
	}
}

// gncChildren lists the processes whose parent is pid, with their state.
func gncChildren(t *testing.T, pid int) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	kids := map[int]string{}
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:] // "S PPID ..."
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids[n] = f[0]
		}
	}
	return kids
}

// waitNoChildren waits (bounded) until gnc has no child processes at all,
// zombies included.
func waitNoChildren(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		kids := gncChildren(t, pid)
		if len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnc still has children (pid: state): %v", kids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExecKeepOpenReaps: -k runs a child per client; after 50 sequential
// and 20 concurrent clients every child has been reaped (no zombies) and
// gnc holds as many descriptors as before.
func TestExecKeepOpenReaps(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"socket", nil},
		{"pipes", []string{"-C"}},
		{"lua", []string{"--lua-exec", ""}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			port := testnet.FreePort(t, "tcp", v4)
			args := []string{"-lk", v4, itoa(port)}
			if mode.name == "lua" {
				args = append(args, "--lua-exec", luaScript(t, `io.write(io.read("*a"))`))
			} else {
				args = append(append(args, "-e", "/bin/cat"), mode.args...)
			}
			g := gnc(t, args...)
			// Not waitPort: its probe would start a program whose
			// descriptors might still be open when they are counted.
			waitListening(t, "tcp", port, "")
			before := fdCount(t, g.pid())
			echo := func(i int) error {
				c, err := net.DialTimeout("tcp", testnet.Addr(v4, port), waitTimeout)
				if err != nil {
					return err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(waitTimeout))
				msg := fmt.Sprintf("client %d\n", i)
				if _, err := c.Write([]byte(msg)); err != nil {
					return err
				}
				c.(*net.TCPConn).CloseWrite()
				buf := make([]byte, 0, 64)
				for {
					tmp := make([]byte, 64)
					n, err := c.Read(tmp)
					buf = append(buf, tmp[:n]...)
					if err != nil {
						break
					}
				}
				want := msg
				if mode.name == "pipes" { // -C: the program's output gets CRLF
					want = strings.ReplaceAll(msg, "\n", "\r\n")
				}
				if string(buf) != want {
					return fmt.Errorf("client %d got %q", i, buf)
				}
				return nil
			}
			for i := range 50 {
				if err := echo(i); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Go(func() { errs <- echo(100 + i) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			waitNoChildren(t, g.pid())
			waitFDs(t, g.pid(), fmt.Sprintf("back to %d", before), func(n int) bool { return n == before })
			g.requireRunning("-k keeps serving")
			g.signal(syscall.SIGTERM)
			g.wait()
		})
	}
}

// TestExecMaxConns: -m counts running children; one more client is
// accepted and closed, and gets in again once a child has been reaped.
func TestExecMaxConns(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	g := gnc(t, "-lkv", "-m", "1", v4, itoa(port), "-e", "/bin/cat")
	// Not waitPort: its probe's program would hold the only slot until
	// it is reaped.
	waitListening(t, "tcp", port, "")
	first := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, first, "one\n")
	readUntil(t, first, "one\n")
	second := dial(t, "tcp", testnet.Addr(v4, port))
	expectEOF(t, second, "")
	g.waitStderr("New connection denied: connection limit reached (1)")
	first.Close()
	waitNoChildren(t, g.pid())
	third := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, third, "three\n")
	readUntil(t, third, "three\n")
	g.signal(syscall.SIGTERM)
	g.wait()
}

// TestExecLuaBrokenPipe: a script that writes for ever ends when its
// client leaves, as ncat's Lua child dies of SIGPIPE, and gives its -m slot
// back to the next client.
func TestExecLuaBrokenPipe(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	script := luaScript(t, `while true do io.write("tick\n") end`)
	g := gnc(t, "-lk", "-vv", "-m", "1", v4, itoa(port), "--lua-exec", script)
	waitListening(t, "tcp", port, "")
	first := dial(t, "tcp", testnet.Addr(v4, port))
	readUntil(t, first, "tick\n")
	first.Close()
	g.waitStderr("Lua script " + script + " ended: lua: broken pipe.")
	// The slot is given back just after that line: a client quicker than
	// that is refused (closed at once), and the next one is served.
	deadline := time.Now().Add(waitTimeout)
	for {
		c := dial(t, "tcp", testnet.Addr(v4, port))
		c.SetReadDeadline(deadline)
		got := make([]byte, len("tick\n"))
		_, err := io.ReadFull(c, got)
		c.Close()
		if err == nil {
			if string(got) != "tick\n" {
				t.Errorf("second client got %q", got)
			}
			break
		}
		if !errors.Is(err, io.EOF) || time.Now().After(deadline) {
			t.Fatalf("second client: %v\n%s", err, g.dump())
		}
	}
	g.requireRunning("-k keeps serving")
	g.signal(syscall.SIGTERM)
	g.wait()
}

// TestExecCRLFAndLog: on the pipe path -C converts the program's output
// and -o records both directions.
func TestExecCRLFAndLog(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	log := filepath.Join(t.TempDir(), "log")
	g := gnc(t, "-l", "-C", "-o", log, v4, itoa(port), "-c", "cat; printf 'bye\\n'")
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	write(t, c, "a\nb\r\n")
	closeWrite(t, c)
	if got := readAll(t, c); got != "a\r\nb\r\nbye\r\n" {
		t.Errorf("client got %q", got)
	}
	g.expectExit(0)
	if got := readFile(t, log); got != "a\nb\r\na\r\nb\r\nbye\r\n" {
		t.Errorf("-o log %q", got)
	}
}

// TestExecBadPath: -e with no such program reports it per connection, as
// ncat, and the listener ends normally.
func TestExecBadPath(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	g := gnc(t, "-l", v4, itoa(port), "-e", "/nonexistent/gnc-test-program arg")
	waitListening(t, "tcp", port, "")
	c := dial(t, "tcp", testnet.Addr(v4, port))
	expectEOF(t, c, "")
	g.expectExit(0)
	if got := g.stderr.String(); got != "exec: No such file or directory\n" {
		t.Errorf("stderr %q", got)
	}
}

// TestExecLuaErrors: a script that cannot be loaded is fatal at start.
func TestExecLuaErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.lua")
	g := gnc(t, "-l", v4, "0", "--lua-exec", missing)
	g.expectExit(2)
	if want := "gnc: Error loading the Lua script: cannot open " + missing + ": No such file or directory. QUITTING.\n"; g.stderr.String() != want {
		t.Errorf("stderr %q, want %q", g.stderr.String(), want)
	}
}

// TestExecLuaInternal: --lua-exec-internal runs a script on gnc's stdio.
func TestExecLuaInternal(t *testing.T) {
	t.Parallel()
	g := gnc(t, "--lua-exec-internal", luaScript(t, upperLua))
	g.write("one\ntwo\n")
	g.closeStdin()
	g.expectExit(0)
	if got := g.stdout.String(); got != "ONE\nTWO\n" {
		t.Errorf("stdout %q", got)
	}
	g = gnc(t, "--lua-exec-internal", luaScript(t, upperLua), "-v")
	g.expectExit(2)
	// A failing script: ncat's message on one line, status 2.
	script := luaScript(t, `error("boom")`)
	g = gnc(t, "--lua-exec-internal", script)
	g.expectExit(2)
	if got, want := g.stderr.String(), "gnc: Error running the Lua script: "+script+":1: boom. QUITTING.\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// TestExecUDP: -u -l hands the first peer's socket to one program, which
// reads the very datagram that started the session; -u -l -k runs one per
// peer.
func TestExecUDP(t *testing.T) {
	t.Parallel()
	t.Run("single", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		g := gnc(t, "-u", "-l", v4, itoa(port), "-e", "/bin/cat")
		waitListening(t, "udp", port, "")
		c := dial(t, "udp", testnet.Addr(v4, port))
		for _, m := range []string{"one\n", "two\n"} {
			write(t, c, m)
			if got := readUntil(t, c, m); got != m {
				t.Errorf("echo %q", got)
			}
		}
		g.signal(syscall.SIGTERM)
		g.wait()
	})
	// A shell's read takes one byte at a time: over a datagram socket the
	// rest of the datagram would be lost, so datagrams go through pipes.
	t.Run("shell read", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		g := gnc(t, "-u", "-l", v4, itoa(port), "-c", `read l; echo "got $l"`)
		waitListening(t, "udp", port, "")
		c := dial(t, "udp", testnet.Addr(v4, port))
		write(t, c, "a whole line\n")
		readUntil(t, c, "got a whole line\n")
		g.expectExit(0)
	})
	t.Run("unix datagram", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "d")
		g := gnc(t, "-U", "-u", "-l", path, "-c", `read l; echo "got $l $NCAT_PROTO $NCAT_REMOTE_ADDR"`)
		waitListening(t, "unixgram", 0, path)
		cli := gnc(t, "-U", "-u", "-q", "2", path)
		cli.write("dgram\n")
		cli.waitStdout("got dgram TCP localhost\n")
		g.expectExit(0)
		cli.closeStdin()
		cli.expectExit(0)
	})
	t.Run("keep-open", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "udp", v4)
		g := gnc(t, "-u", "-lk", v4, itoa(port), "-c", `echo "hello $NCAT_REMOTE_PORT"; cat`)
		waitListening(t, "udp", port, "")
		var clients []net.Conn
		for i := range 3 {
			c := dial(t, "udp", testnet.Addr(v4, port))
			clients = append(clients, c)
			write(t, c, fmt.Sprintf("peer %d\n", i))
			// The program's two lines may leave its pipe in one read, and
			// so arrive as one datagram.
			p := c.LocalAddr().(*net.UDPAddr).Port
			if got, want := readUntil(t, c, fmt.Sprintf("peer %d\n", i)), fmt.Sprintf("hello %d\npeer %d\n", p, i); got != want {
				t.Errorf("peer %d got %q, want %q", i, got, want)
			}
		}
		for i, c := range clients { // each peer still has its own child
			write(t, c, fmt.Sprintf("again %d\n", i))
			readUntil(t, c, fmt.Sprintf("again %d\n", i))
		}
		g.signal(syscall.SIGTERM)
		g.wait()
		waitNoChildren(t, g.pid())
	})
}

// TestExecInterop: ncat and nc.openbsd as clients of a gnc -e service.
func TestExecInterop(t *testing.T) {
	t.Parallel()
	for _, tool := range []struct {
		name string
		args func(port int) []string
	}{
		{"ncat", func(p int) []string { return []string{v4, itoa(p)} }},
		{"nc.openbsd", func(p int) []string { return []string{"-N", v4, itoa(p)} }},
	} {
		t.Run(tool.name, func(t *testing.T) {
			t.Parallel()
			bin := requirePeer(t, tool.name)
			port := testnet.FreePort(t, "tcp", v4)
			g := gnc(t, "-l", v4, itoa(port), "-e", "/usr/bin/tr a-z A-Z")
			waitListening(t, "tcp", port, "")
			cli := startProc(t, procOpts{}, bin, tool.args(port)...)
			cli.write("hello from " + tool.name + "\n")
			cli.closeStdin() // tr answers at its EOF
			cli.waitStdout("HELLO FROM " + strings.ToUpper(tool.name) + "\n")
			g.expectExit(0)
			cli.expectExit(0)
		})
	}
	t.Run("ncat -e client of gnc -l", func(t *testing.T) {
		t.Parallel()
		bin := requirePeer(t, "ncat")
		port := testnet.FreePort(t, "tcp", v4)
		g := gnc(t, "-l", v4, itoa(port))
		waitListening(t, "tcp", port, "")
		cli := startProc(t, procOpts{}, bin, v4, itoa(port), "-e", "/bin/cat")
		g.write("shout\n")
		g.waitStdout("shout\n")
		g.closeStdin() // ncat 7.93 ends its exec relay at the socket's EOF
		cli.expectExit(0)
		g.expectExit(0)
	})
}

// TestExecOneDirection: --send-only gives the program an empty stdin and
// sends its output; --recv-only gives it the client's data and sends
// nothing.
func TestExecOneDirection(t *testing.T) {
	t.Parallel()
	t.Run("send-only", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "tcp", v4)
		g := gnc(t, "-l", "--send-only", v4, itoa(port), "-c", "cat; echo sent")
		waitListening(t, "tcp", port, "")
		c := dial(t, "tcp", testnet.Addr(v4, port))
		expectEOF(t, c, "sent\n")
		g.expectExit(0)
	})
	t.Run("recv-only", func(t *testing.T) {
		t.Parallel()
		port := testnet.FreePort(t, "tcp", v4)
		got := filepath.Join(t.TempDir(), "got")
		g := gnc(t, "-l", "--recv-only", v4, itoa(port), "-c", "echo never; cat > "+got)
		waitListening(t, "tcp", port, "")
		c := dial(t, "tcp", testnet.Addr(v4, port))
		write(t, c, "in\n")
		closeWrite(t, c)
		expectEOF(t, c, "")
		g.expectExit(0) // after reaping the program, which has written the file
		if s := readFile(t, got); s != "in\n" {
			t.Errorf("the program got %q", s)
		}
	})
}
