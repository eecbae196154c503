//go:build unix

package cli

import (
	"os"
	"syscall"
)

// reloadSignal is the signal that reloads --allowfile/--denyfile.
func reloadSignal() os.Signal { return syscall.SIGHUP }
