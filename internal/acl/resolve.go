package acl

import (
	"context"
	"errors"
	"net"
	"net/netip"
)

// Resolver looks up a host name's addresses; net.DefaultResolver.LookupNetIP
// is one. network is "ip", "ip4" or "ip6".
type Resolver func(ctx context.Context, network, host string) ([]netip.Addr, error)

// Resolution says how host names in specs are turned into addresses.
type Resolution struct {
	// Family keeps only IPv4 (4) or IPv6 (6) addresses of names; 0 keeps
	// both.
	Family int
	// NoDNS refuses host names (-n): only numeric specs are taken.
	NoDNS bool
	// Resolve looks names up; nil: net.DefaultResolver.
	Resolve Resolver
}

func (r Resolution) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	network := "ip"
	switch r.Family {
	case 4:
		network = "ip4"
	case 6:
		network = "ip6"
	}
	if r.Resolve != nil {
		return r.Resolve(ctx, network, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// noDNSReason explains why a host name is refused under -n.
const noDNSReason = "Name or service not known (-n allows numeric addresses only)"

// CheckNoDNS returns the error a host-name spec gets under -n, or nil for a
// numeric spec.
func (s Spec) CheckNoDNS() error {
	if s.IsName() {
		return errResolving(s.text, s.name, noDNSReason)
	}
	return nil
}

// rulesOf returns the spec's rules, resolving a host name to every address
// it has (each widened by the spec's /bits).
func (r Resolution) rulesOf(ctx context.Context, s Spec) ([]rule, error) {
	if !s.IsName() {
		return s.rules, nil
	}
	if r.NoDNS {
		return nil, s.CheckNoDNS()
	}
	addrs, err := r.resolve(ctx, s.name)
	if err != nil {
		reason := err.Error()
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			reason = dnsErr.Err
			if dnsErr.IsNotFound {
				reason = "Name or service not known"
			}
		}
		return nil, errResolving(s.text, s.name, reason)
	}
	if len(addrs) == 0 {
		return nil, errResolving(s.text, s.name, "Name or service not known")
	}
	rules := make([]rule, 0, len(addrs))
	for _, a := range addrs {
		a = a.WithZone("").Unmap()
		bits := s.bits
		switch {
		case bits < 0:
			bits = a.BitLen()
		case a.Is4() && bits > 32:
			return nil, errNameNetmask(s.text)
		}
		rules = append(rules, rule{prefix: netip.PrefixFrom(a, bits).Masked()})
	}
	return rules, nil
}
