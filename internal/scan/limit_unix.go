//go:build unix

package scan

import "syscall"

// fdLimit is the process's soft limit on open files.
func fdLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return MaxDefaultConcurrency + fdReserve
	}
	return uint64(r.Cur) // int64 on some systems
}
