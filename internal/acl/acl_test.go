package acl

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeDNS resolves a few names without the network.
func fakeDNS(_ context.Context, network, host string) ([]netip.Addr, error) {
	all := map[string][]netip.Addr{
		"localhost": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"v4only":    {netip.MustParseAddr("192.0.2.7")},
		"mapped":    {netip.MustParseAddr("::ffff:198.51.100.9")},
		"zoned":     {netip.MustParseAddr("fe80::1%lo")},
	}
	var out []netip.Addr
	for _, a := range all[host] {
		if network == "ip4" && !a.Unmap().Is4() || network == "ip6" && !a.Is6() {
			continue
		}
		out = append(out, a)
	}
	if out == nil {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// specCases: each spec with addresses it must match and must not match.
var specCases = []struct {
	spec      string
	match     []string
	nomatch   []string
	family    int
	isName    bool
	isPrefixN int // the number of rules that are prefixes, -1: don't check
}{
	// single addresses
	{spec: "192.168.0.1", match: []string{"192.168.0.1", "::ffff:192.168.0.1"}, nomatch: []string{"192.168.0.2", "::1", "::192.168.0.1"}},
	{spec: "::1", match: []string{"::1"}, nomatch: []string{"127.0.0.1", "::2", "::ffff:0.0.0.1"}},
	{spec: "127.0.0.01", match: []string{"127.0.0.1"}, nomatch: []string{"127.0.0.2"}},
	{spec: "fe80::1%lo", match: []string{"fe80::1", "fe80::1%eth0"}, nomatch: []string{"fe80::2"}},
	// octet ranges, open ends, wildcards
	{spec: "192.168.0-255.1-254", match: []string{"192.168.0.1", "192.168.255.254", "192.168.7.100"}, nomatch: []string{"192.168.0.0", "192.168.3.255", "192.169.0.1"}},
	{spec: "127.0.0.1-", match: []string{"127.0.0.1", "127.0.0.255"}, nomatch: []string{"127.0.0.0", "127.0.1.0"}},
	{spec: "127.0.0.-1", match: []string{"127.0.0.0", "127.0.0.1"}, nomatch: []string{"127.0.0.2"}},
	{spec: "127.0.0.-", match: []string{"127.0.0.0", "127.0.0.255"}, nomatch: []string{"127.0.1.0"}},
	{spec: "10.*.*.*", match: []string{"10.0.0.0", "10.255.255.255", "::ffff:10.1.2.3"}, nomatch: []string{"11.0.0.0", "::a00:1"}},
	{spec: "*.*.*.*", match: []string{"0.0.0.0", "255.255.255.255"}, nomatch: []string{"::1", "::"}},
	{spec: "*.0.0.1", match: []string{"1.0.0.1", "127.0.0.1"}, nomatch: []string{"1.0.0.2"}},
	{spec: "1-3.5.*.7", match: []string{"2.5.100.7"}, nomatch: []string{"4.5.100.7", "2.5.100.8"}},
	{spec: "127.0.0.5-5", match: []string{"127.0.0.5"}, nomatch: []string{"127.0.0.4", "127.0.0.6"}},
	// CIDR, v4 and v6
	{spec: "10.0.0.0/8", match: []string{"10.0.0.1", "10.255.0.9"}, nomatch: []string{"11.0.0.1"}},
	{spec: "10.1.2.3/8", match: []string{"10.200.0.1"}, nomatch: []string{"9.0.0.1"}},
	{spec: "127.0.0.*/24", match: []string{"127.0.0.200"}, nomatch: []string{"127.0.1.1"}},
	{spec: "127.*.0.1/24", match: []string{"127.9.0.77"}, nomatch: []string{"127.9.1.77"}},
	{spec: "192.168.1.5/20", match: []string{"192.168.0.0", "192.168.15.255"}, nomatch: []string{"192.168.16.0"}},
	{spec: "192.168.1-2.5/28", match: []string{"192.168.1.0", "192.168.2.15"}, nomatch: []string{"192.168.1.16", "192.168.3.1"}},
	{spec: "0.0.0.0/0", match: []string{"1.2.3.4", "255.255.255.255", "::ffff:1.2.3.4"}, nomatch: []string{"::1", "2001:db8::1"}},
	{spec: "1.2.3.4/32", match: []string{"1.2.3.4"}, nomatch: []string{"1.2.3.5"}},
	{spec: "1.2.3.4/08", match: []string{"1.9.9.9"}, nomatch: []string{"2.0.0.0"}},
	{spec: "fe80::/10", match: []string{"fe80::1", "febf::1"}, nomatch: []string{"fec0::1", "127.0.0.1"}},
	{spec: "::/0", match: []string{"::1", "2001:db8::1", "127.0.0.1", "0.0.0.0"}},
	{spec: "::1/128", match: []string{"::1"}, nomatch: []string{"::"}},
	{spec: "::ffff:127.0.0.1", match: []string{"127.0.0.1", "::ffff:127.0.0.1"}, nomatch: []string{"127.0.0.2", "::127.0.0.1"}},
	{spec: "::ffff:0:0/96", match: []string{"127.0.0.1", "8.8.8.8"}, nomatch: []string{"::1", "::8.8.8.8"}},
	{spec: "::ffff:1.2.3.4/120", match: []string{"1.2.3.200"}, nomatch: []string{"1.2.4.1"}},
	// inet_aton forms, numeric as with ncat
	{spec: "127.1", match: []string{"127.0.0.1"}, nomatch: []string{"127.1.0.0"}},
	{spec: "127.0.1", match: []string{"127.0.0.1"}},
	{spec: "0x7f.0.0.1", match: []string{"127.0.0.1"}},
	{spec: "2130706433", match: []string{"127.0.0.1"}},
	{spec: "0177.0.0.1/8", match: []string{"177.3.4.5"}, nomatch: []string{"127.0.0.1"}}, // four parts: decimal octets
	{spec: "0177.1/8", match: []string{"127.3.4.5"}},                                     // fewer: inet_aton, octal
	// names: every address, /bits, family
	{spec: "localhost", isName: true, match: []string{"127.0.0.1", "::1"}, nomatch: []string{"127.0.0.2"}},
	{spec: "localhost/8", isName: true, match: []string{"127.3.3.3", "::2"}, nomatch: []string{"2001:db8::1"}}, // ::1/8 is ::/8
	{spec: "localhost", isName: true, family: 4, match: []string{"127.0.0.1"}, nomatch: []string{"::1"}},
	{spec: "localhost", isName: true, family: 6, match: []string{"::1"}, nomatch: []string{"127.0.0.1"}},
	{spec: "mapped", isName: true, match: []string{"198.51.100.9"}},
	{spec: "zoned/64", isName: true, match: []string{"fe80::abcd"}},
}

func TestSpecs(t *testing.T) {
	for _, tc := range specCases {
		name := tc.spec
		if tc.family != 0 {
			name += "/family" + string(rune('0'+tc.family))
		}
		t.Run(name, func(t *testing.T) {
			s, err := ParseSpec(tc.spec)
			if err != nil {
				t.Fatalf("ParseSpec(%q): %v", tc.spec, err)
			}
			if s.IsName() != tc.isName {
				t.Errorf("ParseSpec(%q).IsName() = %v", tc.spec, s.IsName())
			}
			k, err := New(t.Context(), Config{Allow: []string{tc.spec}, Resolution: Resolution{Family: tc.family, Resolve: fakeDNS}})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			for _, a := range tc.match {
				if !k.Allowed(netip.MustParseAddr(a)) {
					t.Errorf("%s does not match %s", tc.spec, a)
				}
			}
			for _, a := range tc.nomatch {
				if k.Allowed(netip.MustParseAddr(a)) {
					t.Errorf("%s matches %s", tc.spec, a)
				}
			}
		})
	}
}

// TestRangesBecomePrefixes checks that CIDR-shaped ranges are looked up
// as prefixes and the rest stay octet ranges, with the same verdicts.
func TestRangesBecomePrefixes(t *testing.T) {
	for spec, want := range map[string]string{
		"10.*.*.*":          "10.0.0.0/8",
		"127.0.0.1":         "127.0.0.1/32",
		"127.0.0.*/24":      "127.0.0.0/24",
		"192.168.0-255.*":   "192.168.0.0/16",
		"192.168.0-127.*":   "192.168.0.0/17",
		"192.168.1.5/20":    "192.168.0.0/20",
		"*.*.*.*":           "0.0.0.0/0",
		"127.0.0.0-1":       "127.0.0.0/31",
		"192.168.0-255.1-4": "",
		"127.0.0.1-2":       "",
		"*.0.0.1":           "",
		"10.0-127.5.*":      "",
	} {
		s, err := ParseSpec(spec)
		if err != nil {
			t.Fatalf("ParseSpec(%q): %v", spec, err)
		}
		got := ""
		if s.rules[0].octets == nil {
			got = s.rules[0].prefix.String()
		}
		if got != want {
			t.Errorf("ParseSpec(%q) prefix = %q, want %q", spec, got, want)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	for _, tc := range []struct{ spec, err string }{
		{"10.0.0.0/33", `Illegal netmask in "10.0.0.0/33". Must be smaller than address bit length.`},
		{"127.0.0.*/40", `Illegal netmask in "127.0.0.*/40". Must be smaller than address bit length.`},
		{"127.1/33", `Illegal netmask in "127.1/33". Must be smaller than address bit length.`},
		{"::1/129", `Illegal netmask in "::1/129". Must be smaller than address bit length.`},
		{"localhost/129", `Illegal netmask in "localhost/129". Must be between 0 and 32.`},
		{"10.0.0.0/abc", `Error parsing netmask in "10.0.0.0/abc".`},
		{"10.0.0.0/-1", `Error parsing netmask in "10.0.0.0/-1".`},
		{"10.0.0.0/+8", `Error parsing netmask in "10.0.0.0/+8".`},
		{"10.0.0.0/ 8", `Error parsing netmask in "10.0.0.0/ 8".`},
		{"10.0.0.0/0x8", `Error parsing netmask in "10.0.0.0/0x8".`},
		{"10.0.0.0/", `Error parsing netmask in "10.0.0.0/".`},
		{"::1/64x", `Error parsing netmask in "::1/64x".`},
		{"1.2.3.4/99999999999999999999999", `Error parsing netmask in "1.2.3.4/99999999999999999999999".`},
		{"1.2.3.4/8/8", `Error parsing netmask in "1.2.3.4/8/8".`},
		{"/8", `Error resolving name "": Name or service not known`},
		{"", `Error resolving name "": Name or service not known`},
	} {
		_, err := ParseSpec(tc.spec)
		var se *SpecError
		if !errors.As(err, &se) || err.Error() != tc.err {
			t.Errorf("ParseSpec(%q) = %v, want *SpecError %q", tc.spec, err, tc.err)
		}
	}
}

// TestNotNumeric lists specs ncat takes for host names (so they fail to
// resolve, and are refused under -n).
func TestNotNumeric(t *testing.T) {
	for _, spec := range []string{
		"127.0.0.5-3", "127.0.0.256", "127.0.0.1.5", "+1.0.0.1", "*", "[::1]", "1.2.3.4-1",
		"1.2.3.*5", "1.2.3.-*", "1.2.3.1--2", "1.2.3.0x1-", "127.0.0.08x", "fe80::*", "1.2.3.4 ",
		"0x", "08", "1.2.3.08.1", "4294967296", "1.16777216", "256.1",
	} {
		s, err := ParseSpec(spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", spec, err)
			continue
		}
		if !s.IsName() {
			t.Errorf("ParseSpec(%q) is numeric, want a name", spec)
			continue
		}
		want := `Error resolving name "` + strings.SplitN(spec, "/", 2)[0] + `": Name or service not known (-n allows numeric addresses only)`
		if err := s.CheckNoDNS(); err == nil || err.Error() != want {
			t.Errorf("%q CheckNoDNS = %v, want %q", spec, err, want)
		}
		_, err = New(t.Context(), Config{Deny: []string{spec}, Resolution: Resolution{Resolve: fakeDNS}})
		want = `Error resolving name "` + spec + `": Name or service not known`
		if err == nil || err.Error() != want {
			t.Errorf("New(deny %q) = %v, want %q", spec, err, want)
		}
	}
}

func TestNameErrors(t *testing.T) {
	ctx := t.Context()
	_, err := New(ctx, Config{Allow: []string{"localhost/33"}, Resolution: Resolution{Resolve: fakeDNS}})
	if err == nil || err.Error() != `Illegal netmask in "localhost/33". Must be between 0 and 32.` {
		t.Errorf("localhost/33: %v", err)
	}
	_, err = New(ctx, Config{Allow: []string{"localhost"}, Resolution: Resolution{NoDNS: true, Resolve: fakeDNS}})
	if err == nil || err.Error() != `Error resolving name "localhost": Name or service not known (-n allows numeric addresses only)` {
		t.Errorf("-n localhost: %v", err)
	}
	_, err = New(ctx, Config{Allow: []string{"v4only"}, Resolution: Resolution{Family: 6, Resolve: fakeDNS}})
	if err == nil || !strings.HasPrefix(err.Error(), `Error resolving name "v4only": `) {
		t.Errorf("-6 v4only: %v", err)
	}
	_, err = New(ctx, Config{Allow: []string{"127.0.0.1"}, Resolution: Resolution{NoDNS: true}})
	if err != nil {
		t.Errorf("-n 127.0.0.1: %v", err)
	}
}

func TestDenyWins(t *testing.T) {
	k, err := New(t.Context(), Config{
		Allow: []string{"127.0.0.0/8", "::1"},
		Deny:  []string{"127.0.0.2", "::ffff:127.0.0.3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.2": false, "127.0.0.3": false, "127.9.9.9": true,
		"::1": true, "::2": false, "10.0.0.1": false,
	} {
		if got := k.Allowed(netip.MustParseAddr(a)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", a, got, want)
		}
	}
	// Deny alone allows everything else.
	k, err = New(t.Context(), Config{Deny: []string{"127.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !k.Allowed(netip.MustParseAddr("10.0.0.1")) || k.Allowed(netip.MustParseAddr("127.0.0.2")) {
		t.Error("deny-only list judged wrong")
	}
	// A nil Checker allows all.
	var none *Checker
	if !none.Allowed(netip.MustParseAddr("127.0.0.2")) || !none.AllowedAddr(&net.TCPAddr{IP: net.IPv4(1, 2, 3, 4)}) {
		t.Error("nil Checker refuses")
	}
}

func TestAllowedAddr(t *testing.T) {
	k, err := New(t.Context(), Config{Allow: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a    net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 5}, true},
		{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 5}, true},
		{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5}, false},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 5}, false},
		{&net.UnixAddr{Name: "@", Net: "unix"}, true},
	} {
		if got := k.AllowedAddr(tc.a); got != tc.want {
			t.Errorf("AllowedAddr(%v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string]string{
		"a,b":            "a|b",
		",127.0.0.1":     "127.0.0.1",
		"127.0.0.1,,::1": "127.0.0.1|::1",
		",":              "",
		"":               "",
	} {
		if got := strings.Join(SplitList(in), "|"); got != want {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadSpecs(t *testing.T) {
	in := "# office\n10.0.0.0/8  192.168.1.1\t# the printer\n\n\n  ::1\r\n#127.0.0.1\nlocalhost#x\n"
	got, err := ReadSpecs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []FileSpec{{"10.0.0.0/8", 2}, {"192.168.1.1", 2}, {"::1", 5}, {"localhost", 7}}
	if len(got) != len(want) {
		t.Fatalf("ReadSpecs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ReadSpecs[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFilesAndReload(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	allow := writeFile(t, dir, "allow", "# loopback only\n127.0.0.0/8\n::1 # v6\n")
	deny := writeFile(t, dir, "deny", "127.0.0.2\n")
	k, err := New(ctx, Config{AllowFiles: []string{allow}, DenyFiles: []string{deny}, Deny: []string{"127.0.0.9"}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(want map[string]bool) {
		t.Helper()
		for a, w := range want {
			if got := k.Allowed(netip.MustParseAddr(a)); got != w {
				t.Errorf("Allowed(%s) = %v, want %v", a, got, w)
			}
		}
	}
	check(map[string]bool{"127.0.0.1": true, "127.0.0.2": false, "127.0.0.9": false, "::1": true, "10.0.0.1": false})

	// A changed file changes the verdicts; command-line specs stay.
	writeFile(t, dir, "deny", "127.0.0.1\n")
	counts, err := k.Reload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (Counts{Allow: 2, Deny: 2}) {
		t.Errorf("Reload counts = %+v", counts)
	}
	check(map[string]bool{"127.0.0.1": false, "127.0.0.2": true, "127.0.0.9": false})

	// A broken file keeps the old lists.
	writeFile(t, dir, "allow", "10.0.0.0/8\n\n127.0.0.0/33\n")
	_, err = k.Reload(ctx)
	if err == nil || err.Error() != allow+`:3: Illegal netmask in "127.0.0.0/33". Must be smaller than address bit length.` {
		t.Errorf("Reload with a bad spec: %v", err)
	}
	writeFile(t, dir, "allow", "127.0.0.0/8\n")
	os.Remove(deny)
	_, err = k.Reload(ctx)
	if err == nil || err.Error() != "can't open "+deny+": No such file or directory." {
		t.Errorf("Reload with a missing file: %v", err)
	}
	check(map[string]bool{"127.0.0.1": false, "127.0.0.2": true, "10.0.0.1": false})

	// An empty allow file allows nobody.
	writeFile(t, dir, "allow", "# nobody yet\n")
	writeFile(t, dir, "deny", "")
	if _, err := k.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	check(map[string]bool{"127.0.0.1": false, "::1": false})
}

func TestFileErrors(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	for _, tc := range []struct{ content, err string }{
		{"10.0.0.1,10.0.0.2\n", `:1: "10.0.0.1,10.0.0.2": specs in a file are separated by whitespace, not commas.`},
		{"\n\nnosuch.invalid\n", `:3: Error resolving name "nosuch.invalid": Name or service not known`},
		{"::1/200", `:1: Illegal netmask in "::1/200". Must be smaller than address bit length.`},
	} {
		p := writeFile(t, dir, "f", tc.content)
		_, err := New(ctx, Config{DenyFiles: []string{p}, Resolution: Resolution{Resolve: fakeDNS}})
		var fe *FileError
		if !errors.As(err, &fe) || err.Error() != p+tc.err {
			t.Errorf("file %q: %v, want %q", tc.content, err, p+tc.err)
		}
	}
	_, err := New(ctx, Config{AllowFiles: []string{dir}})
	if err == nil || err.Error() != "can't read "+dir+": Is a directory." {
		t.Errorf("directory as file: %v", err)
	}
	_, err = New(ctx, Config{AllowFiles: []string{filepath.Join(dir, "none")}})
	if err == nil || err.Error() != "can't open "+filepath.Join(dir, "none")+": No such file or directory." || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestConcurrentReload checks, under -race, that Allowed may run while
// Reload swaps the lists.
func TestConcurrentReload(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "deny", "127.0.0.2\n")
	k, err := New(t.Context(), Config{DenyFiles: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	a := netip.MustParseAddr("127.0.0.1")
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				k.Allowed(a)
			}
		})
	}
	for range 50 {
		if _, err := k.Reload(t.Context()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	if !k.Allowed(a) {
		t.Error("127.0.0.1 denied")
	}
}
