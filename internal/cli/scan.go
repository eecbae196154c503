package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"gnc/internal/scan"
	"gnc/internal/transport"
)

// servicesFile names ports in the open-port lines, as getservbyport does.
const servicesFile = "/etc/services"

// scanPorts is -z with a port list (gnc's addition): it probes each port of
// the host's first address (after -4/-6) with a bounded number of probes
// in flight, prints each open port on stdout in OpenBSD nc's words and in
// port order (with -v, each closed or filtered one on stderr), and
// succeeds if any port is open. A UDP port counts as open when no ICMP
// error comes back within two seconds, as for ncat's one-port -z -u.
func (e *env) scanPorts(ctx context.Context) error {
	c := e.cfg
	start := time.Now()
	addrs, err := transport.Resolve(ctx, c.Host, c.Family, c.NoDNS)
	if err != nil {
		return &FatalError{Err: err}
	}
	addr := addrs[0]
	proto := c.network() // "tcp" or "udp": -U has no port lists
	o := scan.Options{Addr: addr, Ports: c.ScanPorts, UDP: c.UDP, Timeout: c.ConnectTimeout}
	if c.SourceAddr != "" || c.SourcePort >= 0 {
		if o.Dial, err = e.sourceDial(ctx, proto, addr); err != nil {
			return err
		}
	}
	host := addr.String()
	if c.Host != host {
		host = fmt.Sprintf("%s (%s)", c.Host, addr)
	}
	names := serviceNames(proto)
	e.debugf("Scanning %d ports of %s, %d connections at a time.", len(c.ScanPorts), host,
		min(len(c.ScanPorts), scan.DefaultConcurrency()))
	open := 0
	err = scan.Run(ctx, o, func(r scan.Result) error {
		if r.Err != nil {
			e.verbosef("connect to %s port %d (%s) failed: %s", host, r.Port, proto, transport.Describe(r.Err))
			return nil
		}
		open++
		name := names[r.Port]
		if name == "" {
			name = "*"
		}
		_, err := fmt.Fprintf(e.stdout, "Connection to %s %d port [%s/%s] succeeded!\n", host, r.Port, proto, name)
		return err
	})
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case err != nil:
		return stdoutError(err)
	}
	e.verbosef("%d of %d ports open on %s in %s seconds.", open, len(c.ScanPorts), addr, elapsedSeconds(start))
	if open == 0 {
		return ErrSilentFailure
	}
	return nil
}

// sourceDial is the probe dial for -s and -p: the source address is
// resolved once, in the target's family.
func (e *env) sourceDial(ctx context.Context, network string, target netip.Addr) (func(context.Context, netip.AddrPort) (net.Conn, error), error) {
	c := e.cfg
	source := ""
	if c.SourceAddr != "" {
		family := 4
		if target.Is6() {
			family = 6
		}
		srcs, err := transport.Resolve(ctx, c.SourceAddr, family, c.NoDNS)
		if err != nil {
			return nil, &FatalError{Err: err}
		}
		source = srcs[0].String()
	}
	return func(ctx context.Context, a netip.AddrPort) (net.Conn, error) {
		return transport.Dial(ctx, transport.DialOptions{
			Network:    network,
			Host:       a.Addr().String(),
			Port:       int(a.Port()),
			NoDNS:      true,
			SourceAddr: source,
			SourcePort: c.SourcePort,
		})
	}, nil
}

// serviceNames are the service names of /etc/services for proto ("tcp",
// "udp"); none if it cannot be read.
func serviceNames(proto string) map[uint16]string {
	f, err := os.Open(servicesFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := scan.ParseServices(f, proto)
	return names
}
