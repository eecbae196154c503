package cli

import "testing"

// TestProxyAuthEnv checks that NCAT_PROXY_AUTH is read when --proxy-auth
// is absent, and that the option wins.
func TestProxyAuthEnv(t *testing.T) {
	vars := map[string]string{"NCAT_PROXY_AUTH": "env:pw"}
	getenv := func(k string) string { return vars[k] }
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"--proxy", "p", "h", "1"}, want: "env:pw"},
		{args: []string{"--proxy", "p", "--proxy-auth", "opt:pw", "h", "1"}, want: "opt:pw"},
	}
	for _, tt := range tests {
		cfg, err := Parse(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		e := &env{cfg: cfg, getenv: getenv}
		if got := e.proxyAuth(); got != tt.want {
			t.Errorf("%q: proxyAuth = %q; want %q", tt.args, got, tt.want)
		}
	}
	e := &env{cfg: DefaultConfig(), getenv: func(string) string { return "" }}
	if got := e.proxyAuth(); got != "" {
		t.Errorf("no option, no variable: proxyAuth = %q", got)
	}
}
