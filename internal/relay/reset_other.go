//go:build !linux

package relay

import "net"

// wasReset cannot tell a reset from a close here; a reset reported to a
// concurrent send is still seen through that send's error.
func wasReset(net.Conn) bool { return false }
