// Package scan checks many TCP or UDP ports of one address for -z: it
// parses port lists ("20-30,80 443"), probes the ports with a bounded
// number of probes in flight, and reports each result in port order. It
// does not resolve names, print, or decide exit codes: the caller does.
//
// Typical usage:
//
//	ports, err := scan.ParsePorts([]string{"20-30,80", "443"})
//	err = scan.Run(ctx, scan.Options{Addr: addr, Ports: ports, Timeout: 10 * time.Second},
//		func(r scan.Result) error { fmt.Println(r.Port, r.Err); return nil })
package scan
