//go:build !unix

package cli

import "os"

// tableSignals is empty where there is no SIGUSR1: no table on request.
func tableSignals() []os.Signal { return nil }
