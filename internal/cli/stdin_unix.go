//go:build unix

package cli

import (
	"io"
	"os"
	"syscall"
	"time"
)

// pollable returns stdin in a form whose blocked reads can be interrupted
// with a read deadline, so every goroutine reading it can be stopped and
// waited for. A pipe, socket or terminal on a blocking descriptor is
// duplicated and switched to non-blocking mode (the Go runtime then polls
// it); restore switches the shared description back and must run before
// gnc exits. Regular files, already pollable files and other readers are
// returned as they are.
func pollable(stdin io.Reader) (io.Reader, func()) {
	noop := func() {}
	f, ok := stdin.(*os.File)
	if !ok {
		return stdin, noop
	}
	if f.SetReadDeadline(time.Time{}) == nil {
		return f, noop // already pollable (e.g. from os.Pipe)
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return f, noop
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return f, noop
	}
	var dupFD int
	var dupErr error
	if err := sc.Control(func(fd uintptr) { dupFD, dupErr = syscall.Dup(int(fd)) }); err != nil || dupErr != nil {
		return f, noop
	}
	syscall.CloseOnExec(dupFD)
	if err := syscall.SetNonblock(dupFD, true); err != nil {
		syscall.Close(dupFD)
		return f, noop
	}
	nf := os.NewFile(uintptr(dupFD), f.Name())
	if nf.SetReadDeadline(time.Time{}) != nil {
		// The poller would not take it; go back to a plain blocking read.
		syscall.SetNonblock(dupFD, false)
		nf.Close()
		return f, noop
	}
	return nf, func() {
		syscall.SetNonblock(dupFD, false)
		nf.Close()
	}
}
