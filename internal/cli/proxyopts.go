package cli

import (
	"strings"

	"gnc/internal/proxy"
)

// Proxy option checks: --proxy, --proxy-type, --proxy-auth and --proxy-dns
// mean a proxy client in connect mode and a proxy server with -l.

// onceValue is a non-empty string option that may be given only once, as
// ncat's --proxy, --proxy-type and --proxy-auth.
type onceValue struct {
	what string
	dst  *string
}

func (v onceValue) Set(s string) error {
	if *v.dst != "" {
		return usageErrorf("You can't specify more than one %s. QUITTING.", v.what)
	}
	return textValue(v).Set(s)
}
func (v onceValue) String() string { return "" }
func (v onceValue) Type() string   { return "string" }

// proxyDNSValue is --proxy-dns.
type proxyDNSValue struct{ dst *string }

func (v proxyDNSValue) Set(s string) error {
	switch s {
	case "local", "remote", "both", "none":
		*v.dst = s
		return nil
	}
	return usageErrorf("Invalid proxy DNS type. QUITTING.")
}
func (v proxyDNSValue) String() string { return "" }
func (v proxyDNSValue) Type() string   { return "type" }

// checkProxy validates the proxy options against the mode, with ncat's
// messages where ncat has them.
func checkProxy(c *Config) error {
	switch c.ProxyType {
	case "", "http", "socks4", "socks5":
	default:
		return usageErrorf("Invalid proxy type %q. QUITTING.", c.ProxyType)
	}
	if c.Listen {
		switch {
		case c.ProxyAddr != "":
			return usageErrorf("Invalid option combination: --proxy and -l. QUITTING.")
		case c.ProxyType == "socks4":
			return usageErrorf("Invalid proxy type \"socks4\"; gnc proxy server only supports \"http\" and \"socks5\". QUITTING.")
		case c.ProxyType == "" && c.ProxyAuth != "":
			return usageErrorf("--proxy-auth with -l needs --proxy-type http or socks5. QUITTING.")
		case c.ProxyType != "" && (c.UDP || c.Unix):
			return usageErrorf("The proxy server needs TCP: it cannot be used with -u or -U. QUITTING.")
		case c.ProxyType != "" && c.Broker:
			return usageErrorf("Invalid option combination: --proxy-type and --broker/--chat. QUITTING.")
		case c.ProxyType != "":
			if opt := stdioOption(c); opt != "" {
				return usageErrorf("Invalid option combination: -l --proxy-type and %s (the proxy server does not use stdin or stdout). QUITTING.", opt)
			}
		}
		return nil
	}
	if c.ProxyAddr == "" {
		if c.ProxyType != "" {
			return usageErrorf("Proxy type (--proxy-type) specified without proxy address (--proxy). QUITTING.")
		}
		return nil
	}
	if c.ProxyType == "" {
		c.ProxyType = "http"
	}
	for _, hop := range strings.Split(c.ProxyAddr, ",") { // a,b: a chain
		if _, _, err := proxy.SplitAddr(hop, c.ProxyType); err != nil {
			return usageErrorf("%v QUITTING.", err)
		}
	}
	switch {
	case c.UDP:
		return usageErrorf("UDP mode does not support proxy connections. QUITTING.")
	case c.Unix:
		return usageErrorf("Proxy connections are not supported with Unix domain sockets (-U). QUITTING.")
	}
	return nil
}

// stdioOption names an option given with c that acts on the stdio
// session, which a proxy server does not have; "" when there is none.
func stdioOption(c *Config) string {
	switch {
	case c.OutputFile != "":
		return "-o"
	case c.HexDumpFile != "":
		return "-x"
	case c.CRLF:
		return "-C"
	case c.Telnet:
		return "-t"
	case c.Delay != 0:
		return "-d"
	case c.SendOnly:
		return "--send-only"
	case c.RecvOnly:
		return "--recv-only"
	case c.NoShutdown:
		return "--no-shutdown"
	case c.QuitAfterEOF >= 0:
		return "-q"
	case c.ZeroIO:
		return "-z"
	}
	return ""
}

// proxyServerPort is the listen port when none is given: the proxy
// protocol's own port for a proxy server, else port.
func proxyServerPort(proxyType string, port int) int {
	switch proxyType {
	case "http":
		return 3128
	case "socks5":
		return 1080
	}
	return port
}
