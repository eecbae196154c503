//go:build !unix

package main

import "os"

// tableSignals is nil where there is no SIGUSR1: no table on request.
func tableSignals() <-chan os.Signal { return nil }
