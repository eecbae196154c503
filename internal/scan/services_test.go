package scan

import (
	"maps"
	"strings"
	"testing"
)

func TestParseServices(t *testing.T) {
	const file = `# services
tcpmux		1/tcp				# TCP port service multiplexer
ssh		22/tcp				# SSH Remote Login Protocol
ssh		22/udp
domain		53/tcp
domain		53/udp
http		80/tcp		www		# WorldWideWeb HTTP
www-alt		80/tcp
bad		x/tcp
zero		0/tcp
big		70000/tcp
noproto		99
#commented	100/tcp
  indented	101/tcp
sign		+102/tcp
`
	got, err := ParseServices(strings.NewReader(file), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint16]string{1: "tcpmux", 22: "ssh", 53: "domain", 80: "http", 101: "indented"}
	if !maps.Equal(got, want) {
		t.Errorf("ParseServices(tcp) = %v, want %v", got, want)
	}
	udp, _ := ParseServices(strings.NewReader(file), "udp")
	if want := map[uint16]string{22: "ssh", 53: "domain"}; !maps.Equal(udp, want) {
		t.Errorf("ParseServices(udp) = %v, want %v", udp, want)
	}
}

// FuzzParseServices checks that ParseServices never panics and only
// returns named, non-zero ports.
func FuzzParseServices(f *testing.F) {
	for _, s := range []string{"ssh 22/tcp\n", "http 80/tcp www # web\n", "x 0/tcp\n", "# c 1/tcp\n", "a 65536/tcp\nb 65535/tcp", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, _ := ParseServices(strings.NewReader(s), "tcp")
		for p, n := range names {
			if p == 0 || n == "" || strings.ContainsAny(n, " \t\n#") {
				t.Fatalf("ParseServices(%q) gave %d → %q", s, p, n)
			}
		}
	})
}
