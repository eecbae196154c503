package cli

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runInProcess starts Run with pipes for stdio and returns the address it
// listens on (from its -v line), its stdin writer and a function that
// cancels it and returns Run's error.
func runInProcess(t *testing.T, args ...string) (addr string, stdin *os.File, stop func() error) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"-v"}, args...), inR, io.Discard, errW)
		errW.Close()
	}()
	listening := regexp.MustCompile(`^gnc: Listening on (127\.0\.0\.1:\d+)$`)
	lines := bufio.NewScanner(errR)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("no Listening line: %v", <-done)
	}
	var drain sync.WaitGroup
	drain.Go(func() { io.Copy(io.Discard, errR) })
	return addr, inW, func() error {
		cancel()
		err := <-done
		drain.Wait()
		inR.Close()
		inW.Close()
		errR.Close()
		return err
	}
}

// TestKeepOpenManyShortConnections runs listen -k in process, serves
// thousands of short connections, and checks that nothing is left behind:
// no goroutine (goleak, in TestMain) and no file descriptor.
func TestKeepOpenManyShortConnections(t *testing.T) {
	fdsBefore := openFDs(t)
	addr, _, stop := runInProcess(t, "-l", "-k", "127.0.0.1", "0")
	n := 2000
	if testing.Short() {
		n = 300
	}
	var wg sync.WaitGroup
	conns := make(chan int, n)
	for i := range n {
		conns <- i
	}
	close(conns)
	for range 8 {
		wg.Go(func() {
			for range conns {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				c.Write([]byte("hello\n"))
				c.(*net.TCPConn).CloseWrite()
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.Copy(io.Discard, c); err != nil {
					t.Error(err) // gnc must close each connection after its EOF
				}
				c.Close()
			}
		})
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if after := openFDs(t); after > fdsBefore {
		t.Errorf("open file descriptors: %d before, %d after", fdsBefore, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// TestRunVersionAndHelp checks the two options that print and return.
func TestRunVersionAndHelp(t *testing.T) {
	var out, errOut strings.Builder
	if err := Run(context.Background(), []string{"--version"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if got := errOut.String(); got != "gnc "+Version+"\n" {
		t.Errorf("--version wrote %q to stderr", got)
	}
	out.Reset()
	if err := Run(context.Background(), []string{"-h"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "gnc: ") || !strings.Contains(out.String(), "--keep-open") {
		t.Errorf("-h wrote %q", out.String())
	}
}
