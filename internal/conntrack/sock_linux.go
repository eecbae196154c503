package conntrack

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpStates names Linux's TCP states (include/net/tcp_states.h) as netstat
// does.
var tcpStates = [...]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
}

// kernelCounters says readSocket reads TCP's byte counters.
const kernelCounters = true

// readSocket asks the kernel for a socket's state and queues: TCP_INFO for
// TCP (for a listener, tcpi_unacked and tcpi_sacked are the accept queue
// and its bound, which netstat shows as Recv-Q and Send-Q), SIOCINQ and
// SIOCOUTQ for the queues of the others.
func readSocket(raw syscall.RawConn, proto string, listener bool) (kernelView, bool) {
	k := kernelView{state: "-", recvQ: -1, sendQ: -1, received: -1, acked: -1}
	ok := false
	err := raw.Control(func(fd uintptr) {
		ok = true
		if proto == "tcp" || proto == "tcp6" {
			info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
			if err != nil {
				ok = false
				return
			}
			if int(info.State) < len(tcpStates) && tcpStates[info.State] != "" {
				k.state = tcpStates[info.State]
			}
			if info.State == 10 {
				k.recvQ, k.sendQ = int64(info.Unacked), int64(info.Sacked)
				return
			}
			k.received, k.acked = int64(info.Bytes_received), int64(info.Bytes_acked)
		} else if !listener {
			k.state = "ESTABLISHED" // a connected datagram or stream socket
		}
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			k.recvQ = int64(n)
		}
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ); err == nil {
			k.sendQ = int64(n)
		}
	})
	return k, err == nil && ok
}
