//go:build !linux

package relay

import (
	"io"
	"net"
)

// copyStdin copies stdin to a stream connection with io.Copy, which takes
// whatever fast path the system offers.
func copyStdin(conn net.Conn, stdin io.Reader, count func(int64)) (int64, error) {
	return countedCopy(conn, stdin, count)
}

// copyToStdout copies a connection to stdout with io.Copy.
func copyToStdout(stdout io.Writer, conn net.Conn, count func(int64)) (int64, error) {
	return countedCopy(stdout, conn, count)
}
