package acl

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAllowed times one verdict, the cost added to each accept, for
// small lists and for a 10,000-spec deny file (addresses, /24 networks
// and octet ranges).
func BenchmarkAllowed(b *testing.B) {
	var big strings.Builder
	for i := range 10000 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&big, "10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
		case 1:
			fmt.Fprintf(&big, "172.%d.%d.0/24 # net %d\n", 16+i%16, i&255, i)
		default:
			fmt.Fprintf(&big, "192.168.%d.1-%d\n", i&255, 2+i%200)
		}
	}
	deny := filepath.Join(b.TempDir(), "deny")
	if err := os.WriteFile(deny, []byte(big.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"allow-one", Config{Allow: []string{"127.0.0.1"}}},
		{"allow-deny-mixed", Config{Allow: []string{"127.0.0.0/8", "::1", "fe80::/10"}, Deny: []string{"127.0.0.2", "127.0.0.5-9"}}},
		{"denyfile-10000", Config{DenyFiles: []string{deny}}},
	} {
		k, err := New(b.Context(), bc.cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, addr := range []string{"127.0.0.1", "::1"} {
			a := netip.MustParseAddr(addr)
			b.Run(bc.name+"/"+addr, func(b *testing.B) {
				for b.Loop() {
					k.Allowed(a)
				}
			})
		}
	}
}
