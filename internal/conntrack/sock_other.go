//go:build !linux

package conntrack

import "syscall"

// kernelCounters says readSocket reads TCP's byte counters.
const kernelCounters = false

// readSocket has no portable way to read a socket's queues: the table shows
// "-" for them, and the state gnc knows (LISTEN, UNCONN or "-").
func readSocket(syscall.RawConn, string, bool) (kernelView, bool) { return kernelView{}, false }
