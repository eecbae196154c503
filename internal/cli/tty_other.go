//go:build !linux

package cli

import (
	"io"
	"os"
)

// isTerminal reports whether w is a character device, which outside Linux
// gnc takes for a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
