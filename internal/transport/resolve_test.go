package transport

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		host    string
		family  int
		noDNS   bool
		want    []string
		wantErr string
	}{
		{host: "127.0.0.1", want: []string{"127.0.0.1"}},
		{host: "::1", want: []string{"::1"}},
		{host: "127.0.0.1", family: 4, want: []string{"127.0.0.1"}},
		{host: "::1", family: 6, want: []string{"::1"}},
		{host: "::ffff:127.0.0.1", want: []string{"127.0.0.1"}}, // unmapped
		{host: "127.0.0.1", noDNS: true, want: []string{"127.0.0.1"}},
		{host: "::1", noDNS: true, want: []string{"::1"}},
		{host: "::1", family: 4, wantErr: `Could not resolve hostname "::1": Address family for hostname not supported.`},
		{host: "127.0.0.1", family: 6, wantErr: `Could not resolve hostname "127.0.0.1": Address family for hostname not supported.`},
		{host: "x", noDNS: true, wantErr: `Could not resolve hostname "x": Name or service not known.`},
		{host: "localhost", noDNS: true, wantErr: `Could not resolve hostname "localhost": Name or service not known.`},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, err := Resolve(testCtx(t), tt.host, tt.family, tt.noDNS)
			if tt.wantErr != "" {
				var re *ResolveError
				if !errors.As(err, &re) || err.Error() != tt.wantErr {
					t.Fatalf("Resolve(%q, %d, %v) error = %v (%T), want *ResolveError %q", tt.host, tt.family, tt.noDNS, err, err, tt.wantErr)
				}
				if re.Host != tt.host {
					t.Errorf("ResolveError.Host = %q", re.Host)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, a := range got {
				s = append(s, a.String())
			}
			if !slices.Equal(s, tt.want) {
				t.Errorf("Resolve(%q, %d, %v) = %v, want %v", tt.host, tt.family, tt.noDNS, s, tt.want)
			}
		})
	}
}

// "localhost" resolves (from the hosts file) to loopback addresses only,
// unmapped, filtered by family.
func TestResolveLocalhost(t *testing.T) {
	all, err := Resolve(testCtx(t), "localhost", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if !a.IsLoopback() || a.Is4In6() {
			t.Errorf("localhost resolved to %v", a)
		}
	}
	for _, fam := range []int{4, 6} {
		got, err := Resolve(testCtx(t), "localhost", fam, false)
		want := slices.DeleteFunc(slices.Clone(all), func(a netip.Addr) bool { return !familyMatches(a, fam) })
		if len(want) == 0 {
			var re *ResolveError
			if !errors.As(err, &re) {
				t.Errorf("family %d: %v, %v; want a *ResolveError", fam, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("family %d: %v, %v; want %v", fam, got, err, want)
		}
	}
}

func TestResolveErrorText(t *testing.T) {
	e := &ResolveError{Host: "x", Reason: "Name or service not known"}
	if got, want := e.Error(), `Could not resolve hostname "x": Name or service not known.`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestFormatAddr(t *testing.T) {
	tests := []struct {
		a      net.Addr
		addr   string
		ipOnly string
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 80}, "127.0.0.1:80", "127.0.0.1"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 31337}, "::1:31337", "::1"},
		{&net.UDPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 53}, "127.0.0.1:53", "127.0.0.1"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "/tmp/s", "/tmp/s"},
		{nil, "", ""},
	}
	for _, tt := range tests {
		if got := FormatAddr(tt.a); got != tt.addr {
			t.Errorf("FormatAddr(%v) = %q, want %q", tt.a, got, tt.addr)
		}
		if got := FormatIP(tt.a); got != tt.ipOnly {
			t.Errorf("FormatIP(%v) = %q, want %q", tt.a, got, tt.ipOnly)
		}
	}
}
