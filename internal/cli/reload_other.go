//go:build !unix

package cli

import "os"

// reloadSignal is nil where there is no SIGHUP: the files are read once.
func reloadSignal() os.Signal { return nil }
