//go:build unix

package testnet

import (
	"io"
	"net"
	"os"
	"syscall"
)

// reserveTCP binds a TCP socket to host:port without listening: a
// connection to it is refused, as to any closed port, and no other socket
// can bind the port while the test holds it.
func reserveTCP(host string, port int) (io.Closer, error) {
	ip := net.ParseIP(host)
	family := syscall.AF_INET6
	var sa syscall.Sockaddr
	if ip4 := ip.To4(); ip4 != nil {
		family = syscall.AF_INET
		a := &syscall.SockaddrInet4{Port: port}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		a := &syscall.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "reserved port"), nil
}
