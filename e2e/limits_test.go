//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gnc/internal/testnet"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// it is 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(rest) < 13 {
		t.Fatalf("short /proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(rest[11], 10, 64)
	stime, err2 := strconv.ParseInt(rest[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parsing /proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// fdCount returns how many file descriptors the process has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitFDs polls until cond holds for the process's fd count, or fails the
// test after waitTimeout.
func waitFDs(t *testing.T, pid int, what string, cond func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		n := fdCount(t, pid)
		if cond(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("fd count of gnc stayed at %d; wanted it %s", n, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFDExhaustion: gnc -l -k under a low RLIMIT_NOFILE, with more clients
// than it has descriptors. It must back off rather than spin on accept
// errors (CPU time over the exhaustion window well under one core), and
// serve new clients once descriptors are free again.
//
// Not parallel, so that the CPU measurement is not disturbed.
func TestFDExhaustion(t *testing.T) {
	const limit = 20
	port := testnet.FreePort(t, "tcp", v4)
	addr := testnet.Addr(v4, port)
	p := startProc(t, procOpts{}, "sh", "-c", `ulimit -n `+itoa(limit)+` && exec "$0" "$@"`,
		gncBin, "-l", "-k", v4, itoa(port))
	p.name = "gnc (ulimit -n " + itoa(limit) + ")"
	waitListening(t, "tcp", port, "")

	var clients []net.Conn
	for i := range 2 * limit {
		c := dial(t, "tcp", addr) // the kernel completes it even if gnc cannot accept
		write(t, c, "c"+itoa(i)+";")
		clients = append(clients, c)
	}
	// Every descriptor is in use: gnc's accepts now fail with EMFILE.
	waitFDs(t, p.pid(), fmt.Sprintf("to reach the limit %d", limit), func(n int) bool { return n >= limit })

	const window = 2 * time.Second
	before := cpuTime(t, p.pid())
	time.Sleep(window)
	used := cpuTime(t, p.pid()) - before
	t.Logf("gnc used %v of CPU in %v of fd exhaustion", used, window)
	if used > window/2 {
		t.Errorf("gnc used %v of CPU in %v while out of descriptors: it spins on accept errors", used, window)
	}
	p.requireRunning("running out of descriptors is not fatal")

	for _, c := range clients {
		c.Close()
	}
	c, served := tryClient(t, p, addr, "alive after exhaustion\n")
	if !served {
		t.Fatalf("a new client was closed at once after the exhaustion\n%s", p.dump())
	}
	p.write("still talking\n")
	readUntil(t, c, "still talking\n")
}

// shortConnection sends one byte and its EOF, and waits for gnc to close
// the connection in turn. Waiting keeps the clients from outrunning gnc:
// a burst would overflow the listen backlog (some kernels, gVisor's among
// them, then drop completed connections) and reach -m's default of 100.
func shortConnection(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		c.SetDeadline(deadline)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	var b [1]byte
	if n, err := c.Read(b[:]); n != 0 || err != io.EOF {
		return fmt.Errorf("want EOF from gnc, got %q, %v", b[:n], err)
	}
	return nil
}

// TestManyShortConnections: thousands of short -k connections leave no
// descriptor behind.
func TestManyShortConnections(t *testing.T) {
	const total, workers = 2000, 8
	port := testnet.FreePort(t, "tcp", v4)
	addr := testnet.Addr(v4, port)
	p := gnc(t, "-l", "-k", v4, itoa(port))
	waitListening(t, "tcp", port, "")
	before := fdCount(t, p.pid())

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < total; i += workers {
				if err := shortConnection(ctx, addr); err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p.waitStdoutLen(total) // every connection was read to its end
	if got := p.stdout.String(); got != strings.Repeat("x", total) {
		t.Fatalf("stdout has %d bytes, not %d × \"x\"", len(got), total)
	}
	after := waitFDs(t, p.pid(), fmt.Sprintf("back to %d", before), func(n int) bool { return n <= before })
	t.Logf("gnc had %d descriptors before %d connections and %d after", before, total, after)
	p.requireRunning("-k keeps serving")
}
