//go:build linux

package e2e

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"gnc/internal/testnet"
)

// gncCmd is an exec.Cmd for the gnc under test, bound to t's deadline.
func gncCmd(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), gncBin, args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}

// floodServer accepts one connection on 127.0.0.1 and writes to it until
// the write fails; it returns the port.
func floodServer(t *testing.T) int {
	t.Helper()
	ln, port := listenTCP(t, v4)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	return port
}

// TestStdinModeUntouched checks that gnc never puts the stdin it inherits
// into non-blocking mode: that flag belongs to the open file description,
// which a terminal shares with stdout and a pipe with other readers.
func TestStdinModeUntouched(t *testing.T) {
	t.Parallel()
	ln, port := listenTCP(t, v4)
	got := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			io.ReadFull(c, make([]byte, 6))
			close(got)
			io.Copy(io.Discard, c)
		}
	}()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Put the read end back in blocking mode, as a shell's pipe is.
	if err := syscall.SetNonblock(int(r.Fd()), false); err != nil {
		t.Fatal(err)
	}
	cmd := gncCmd(t, v4, itoa(port))
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	w.Write([]byte("hello\n"))
	select {
	case <-got: // gnc is reading stdin
	case <-t.Context().Done():
		t.Fatal("the server never got stdin's line")
	}
	flags, err := fcntlFlags(r)
	if err != nil {
		t.Fatal(err)
	}
	if flags&syscall.O_NONBLOCK != 0 {
		t.Errorf("gnc set O_NONBLOCK on the stdin description it inherited (flags %#o)", flags)
	}
	r.Close()
}

func fcntlFlags(f *os.File) (int, error) {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFL, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(flags), nil
}

// TestSignalWhileStdoutBlocked checks that SIGTERM ends gnc even when its
// stdout is a pipe nobody reads, as it ends ncat.
func TestSignalWhileStdoutBlocked(t *testing.T) {
	t.Parallel()
	port := floodServer(t)
	inR, inW, _ := os.Pipe()
	defer inW.Close()
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	cmd := gncCmd(t, v4, itoa(port))
	cmd.Stdin, cmd.Stdout = inR, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	// Read a little so gnc is connected, then read nothing more and wait
	// until its stdout pipe is full.
	if _, err := io.ReadFull(outR, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	waitPipeFull(t, outR)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("gnc ended with %v", err)
	}
	if ws := exit.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("gnc ended with %v, want death by SIGTERM", err)
	}
}

// TestSignalKeepOpenWhileStdoutBlocked: SIGTERM ends gnc -l -k whose stdout
// is a pipe nobody reads, also while a client that sent its bytes before
// it was accepted is being read on the accept loop.
func TestSignalKeepOpenWhileStdoutBlocked(t *testing.T) {
	t.Parallel()
	port := testnet.FreePort(t, "tcp", v4)
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	cmd := gncCmd(t, "-lk", v4, itoa(port))
	cmd.Stdout = outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	waitListening(t, "tcp", port, "")
	flood := dial(t, "tcp", testnet.Addr(v4, port))
	go func() { // until the pipe is full and flood's buffers too
		chunk := make([]byte, 64<<10)
		for {
			if _, err := flood.Write(chunk); err != nil {
				return
			}
		}
	}()
	waitPipeFull(t, outR)
	for range 3 { // each sends before gnc can get to it
		write(t, dial(t, "tcp", testnet.Addr(v4, port)), strings.Repeat("y", 32<<10))
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("gnc ended with %v", err)
		}
		if ws := exit.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("gnc ended with %v, want death by SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("gnc -l -k did not end on SIGTERM with its stdout blocked")
	}
}

// waitPipeFull waits until the pipe read by r holds as much as it can.
func waitPipeFull(t *testing.T, r *os.File) {
	t.Helper()
	for t.Context().Err() == nil {
		size, _, e1 := syscall.Syscall(syscall.SYS_FCNTL, r.Fd(), syscall.F_GETPIPE_SZ, 0)
		var queued int32
		_, _, e2 := syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&queued)))
		if e1 != 0 || e2 != 0 {
			t.Fatalf("pipe size: %v %v", e1, e2)
		}
		if int(queued) >= int(size) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("stdout pipe never filled")
}

// TestIgnoredSignalStaysIgnored checks that a signal gnc's parent ignores
// (as nohup ignores SIGHUP) is not caught by gnc.
func TestIgnoredSignalStaysIgnored(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("nohup"); err != nil {
		t.Skip("nohup not in PATH")
	}
	port := testnet.FreePort(t, "tcp", v4)
	cmd := exec.CommandContext(t.Context(), "nohup", gncBin, "-l", v4, itoa(port))
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	cmd.Dir = t.TempDir() // nohup may write nohup.out here
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	waitListening(t, "tcp", port, v4)
	status, err := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			if bits&(1<<(syscall.SIGHUP-1)) != 0 {
				t.Errorf("gnc under nohup catches SIGHUP (SigCgt %s); it must stay ignored", strings.TrimSpace(mask))
			}
			return
		}
	}
	t.Fatal("no SigCgt line in /proc/PID/status")
}
