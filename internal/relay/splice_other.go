//go:build !linux

package relay

import (
	"io"
	"net"
)

// copyStdin copies stdin to a stream connection with io.Copy, which takes
// whatever fast path the system offers.
func copyStdin(conn net.Conn, stdin io.Reader) (int64, error) { return io.Copy(conn, stdin) }

// copyToStdout copies a connection to stdout with io.Copy.
func copyToStdout(stdout io.Writer, conn net.Conn) (int64, error) { return io.Copy(stdout, conn) }
