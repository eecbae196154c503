//go:build !linux

package relay

import (
	"io"
	"net"

	"gnc/internal/conntrack"
)

// copyStdin copies stdin to a stream connection with io.Copy, which takes
// whatever fast path the system offers.
func copyStdin(conn net.Conn, stdin io.Reader, t *conntrack.Conn) (int64, error) {
	return conntrack.Copy(conn, stdin, t, false)
}

// copyToStdout copies a connection to stdout with io.Copy.
func copyToStdout(stdout io.Writer, conn net.Conn, t *conntrack.Conn) (int64, error) {
	return conntrack.Copy(stdout, conn, t, true)
}
