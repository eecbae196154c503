//go:build !unix

package testnet

import "io"

// reserveTCP is a no-op where raw sockets are not at hand: the port stays
// closed but unreserved.
func reserveTCP(host string, port int) (io.Closer, error) { return io.NopCloser(nil), nil }
