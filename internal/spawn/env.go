package spawn

import (
	"net"
	"strconv"
)

// Env returns the NCAT_* variables that describe a connection to its
// child, as ncat sets them: NCAT_REMOTE_ADDR and NCAT_REMOTE_PORT (the
// client in listen mode, the target in connect mode), NCAT_LOCAL_ADDR,
// NCAT_LOCAL_PORT and NCAT_PROTO ("TCP" or "UDP"). Addresses are numeric,
// IPv6 without brackets. Over Unix sockets both addresses are "localhost",
// the ports empty and the protocol "TCP".
func Env(local, remote net.Addr) []string {
	la, lp, proto := describe(local)
	ra, rp, _ := describe(remote)
	return []string{
		"NCAT_REMOTE_ADDR=" + ra,
		"NCAT_REMOTE_PORT=" + rp,
		"NCAT_LOCAL_ADDR=" + la,
		"NCAT_LOCAL_PORT=" + lp,
		"NCAT_PROTO=" + proto,
	}
}

func describe(a net.Addr) (addr, port, proto string) {
	switch a := a.(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		return ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port())), "TCP"
	case *net.UDPAddr:
		ap := a.AddrPort()
		return ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port())), "UDP"
	}
	return "localhost", "", "TCP"
}
