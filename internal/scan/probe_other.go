//go:build !linux

package scan

import "time"

func newSocketProber(timeout time.Duration) prober {
	return &dialProber{dial: netDial, timeout: timeout}
}
