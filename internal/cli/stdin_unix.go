//go:build unix

package cli

import (
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// pollable returns stdin in a form whose blocked reads can be interrupted
// with a read deadline, so the goroutines reading it can be stopped and
// waited for. A pipe or terminal is opened again through /proc/self/fd/0
// in non-blocking mode: that is a new open file description, so the
// O_NONBLOCK flag never reaches the one gnc inherited (shared with its
// stdout on a terminal, and with any other process reading the same pipe)
// and nothing needs restoring, however gnc ends. Where that is not
// possible (a socket, no /proc), stdin is read as it is and a blocked read
// ends with the process. The returned function closes the new file.
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
	var fd uintptr
	sc.Control(func(d uintptr) { fd = d })
	path := "/proc/self/fd/" + strconv.Itoa(int(fd))
	nf, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return f, noop
	}
	if nf.SetReadDeadline(time.Time{}) != nil {
		nf.Close() // the poller would not take it (e.g. /dev/null)
		return f, noop
	}
	return nf, func() { nf.Close() }
}
