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
	k := kernelView{state: "-", recvQ: -1, sendQ: -1, read: -1, written: -1}
	var info *unix.TCPInfo
	ok := false
	err := raw.Control(func(fd uintptr) {
		ok = true
		if proto == "tcp" || proto == "tcp6" {
			var err error
			info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
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
	if info != nil && k.recvQ >= 0 && k.sendQ >= 0 {
		k.read, k.written = appBytes(info, k.recvQ, k.sendQ)
	}
	return k, err == nil && ok
}

// appBytes turns TCP's counters into the bytes the process has read and
// written, give or take the SYN. tcpi_bytes_received counts every sequence
// number received after the SYN, the peer's FIN included; tcpi_bytes_acked
// counts those acknowledged, our FIN included, and our SYN only on a
// socket that dialed (an accepted socket's starts at 0: Linux makes it
// after its SYN-ACK was acknowledged). SIOCINQ and SIOCOUTQ are what is
// still queued either way (SIOCOUTQ counting a queued FIN). The SYN that
// written may include is not taken out here: KernelCount measures such
// offsets when a copy starts.
func appBytes(info *unix.TCPInfo, inq, outq int64) (read, written int64) {
	var finIn, finOut int64
	switch info.State {
	case 8, 9, 11, 6: // CLOSE_WAIT, LAST_ACK, CLOSING, TIME_WAIT: the peer's FIN came
		finIn = 1
	}
	switch info.State {
	case 4, 5, 11, 6, 9: // FIN_WAIT1, FIN_WAIT2, CLOSING, TIME_WAIT, LAST_ACK: ours is out
		finOut = 1
	}
	read = max(int64(info.Bytes_received)-inq-finIn, 0)
	written = max(int64(info.Bytes_acked)+outq-finOut, 0)
	return read, written
}
