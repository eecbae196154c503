package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// ResolveError says a host name could not be turned into addresses. Its
// text is ncat's: Could not resolve hostname "x": Name or service not known.
type ResolveError struct {
	Host   string
	Reason string
}

func (e *ResolveError) Error() string {
	return fmt.Sprintf("Could not resolve hostname %q: %s.", e.Host, e.Reason)
}

// Resolve returns the addresses of host in the resolver's order, keeping
// only the given family (0, 4 or 6). With noDNS only numeric hosts resolve.
func Resolve(ctx context.Context, host string, family int, noDNS bool) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if !familyMatches(ip, family) {
			return nil, &ResolveError{Host: host, Reason: "Address family for hostname not supported"}
		}
		return []netip.Addr{ip}, nil
	}
	if noDNS {
		return nil, &ResolveError{Host: host, Reason: "Name or service not known"}
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		reason := err.Error()
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			reason = dnsErr.Err
			if dnsErr.IsNotFound {
				reason = "Name or service not known"
			}
		}
		return nil, &ResolveError{Host: host, Reason: reason}
	}
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if familyMatches(a, family) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &ResolveError{Host: host, Reason: "Address family for hostname not supported"}
	}
	return out, nil
}

func familyMatches(a netip.Addr, family int) bool {
	switch family {
	case 4:
		return a.Is4()
	case 6:
		return a.Is6()
	}
	return true
}

// FormatAddr prints an address and port as ncat's messages do: the address
// as text, a colon, the port, with no brackets (::1:80).
func FormatAddr(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return formatIPPort(a.AddrPort())
	case *net.UDPAddr:
		return formatIPPort(a.AddrPort())
	case nil:
		return ""
	}
	return a.String()
}

func formatIPPort(ap netip.AddrPort) string {
	return ap.Addr().Unmap().String() + ":" + strconv.Itoa(int(ap.Port()))
}

// FormatIP prints only the address part of a, as ncat's "Connection from
// 127.0.0.1." line does.
func FormatIP(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap().String()
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap().String()
	case nil:
		return ""
	}
	return a.String()
}
