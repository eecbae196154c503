// Package cli turns gnc's command line into a Config and runs the mode it
// names. Parsing is a pure function (no I/O, no exit); running a mode wires
// the lower packages (transport, relay, udpmux) together.
package cli

import "time"

// DefaultPort is ncat's port when none is given.
const DefaultPort = 31337

// Config is everything the command line says, as plain values. The zero value
// is not meaningful; Parse fills the defaults.
type Config struct {
	Listen   bool
	KeepOpen bool

	// Host is the connect target, or the listen address ("" = all).
	// For Unix sockets it is the socket path.
	Host string
	// Port is the connect or listen port.
	Port int

	Family int // 0 (any), 4 or 6
	UDP    bool
	Unix   bool

	NoDNS      bool
	SourceAddr string // -s
	SourcePort int    // -p in connect mode; -1 when not given

	ConnectTimeout time.Duration // -w
	IdleTimeout    time.Duration // -i, 0 = none
	Delay          time.Duration // -d, 0 = none
	// QuitAfterEOF is -q: how long to go on after stdin EOF. Negative (the
	// default) means never quit because of stdin EOF.
	QuitAfterEOF time.Duration

	MaxConns int // -m

	Broker bool // --broker; also set by --chat
	Chat   bool // --chat (--talk)
	// BrokerBuffer bounds each broker member's outgoing queue in bytes
	// (--broker-buffer).
	BrokerBuffer int
	ZeroIO       bool
	// ScanPorts are the ports of a -z scan, ascending, each once. Set when
	// the -z port arguments are a list, a range or several arguments (Port
	// is then 0); nil for ncat's one-port -z, which uses Port.
	ScanPorts []uint16

	// ProxyAddr is --proxy as given (host, host:port or [v6]:port); "" is
	// no proxy. ProxyType is the client's proxy protocol with --proxy, or
	// the proxy server to run with -l ("http", "socks4", "socks5"); "" when
	// neither applies.
	ProxyAddr string
	ProxyType string
	// ProxyAuth is --proxy-auth ("user[:pass]"); the NCAT_PROXY_AUTH
	// environment variable is consulted by the mode, not the parser.
	ProxyAuth string
	// ProxyDNS is where a proxied destination is resolved: "local",
	// "remote", "both" or "none" (--proxy-dns; default "remote").
	ProxyDNS string

	// Exec, ShExec and LuaExec are -e, -c and --lua-exec: the program run
	// for each connection ("" = none; Parse allows at most one).
	Exec, ShExec, LuaExec string
	// LuaExecInternal is ncat's hidden --lua-exec-internal: run the script
	// on gnc's own stdin and stdout, with no network.
	LuaExecInternal string

	TLS TLSConfig // --ssl*

	CRLF       bool
	Telnet     bool
	SendOnly   bool
	RecvOnly   bool
	NoShutdown bool

	// Allow and Deny are the --allow and --deny host specs, one per
	// element (each value split at its commas), in order; AllowFiles and
	// DenyFiles are the --allowfile and --denyfile paths. Listen mode only.
	Allow, Deny           []string
	AllowFiles, DenyFiles []string

	OutputFile   string // -o
	HexDumpFile  string // -x
	AppendOutput bool

	// Status is the --status endpoint's listen address (host:port; a bare
	// port is bound on 127.0.0.1); "" is none.
	Status string
	// Progress is --progress: "" (off), "auto" (only when stderr is a
	// terminal) or "always".
	Progress string

	Verbose int
	Test    bool // hidden --test: print "NCAT TEST: LISTEN" per bound socket

	Help    bool
	Version bool
}

// DefaultConfig is the Config of a command line with no options.
func DefaultConfig() Config {
	return Config{
		Port:           DefaultPort,
		SourcePort:     -1,
		ConnectTimeout: 10 * time.Second,
		QuitAfterEOF:   -1,
		MaxConns:       100,
		BrokerBuffer:   1 << 20,
		ProxyDNS:       "remote",
	}
}

// TLSConfig is the --ssl* options. Enabled is --ssl, also set by
// --ssl-cert/--ssl-key, --ssl-verify and --ssl-trustfile, as with ncat.
type TLSConfig struct {
	Enabled      bool
	CertFile     string // --ssl-cert
	KeyFile      string // --ssl-key
	Verify       bool   // --ssl-verify; also set by --ssl-trustfile
	TrustFile    string // --ssl-trustfile
	Ciphers      string // --ssl-ciphers as given (checked by Parse)
	CipherSuites []uint16
	ServerName   string   // --ssl-servername
	ALPN         []string // --ssl-alpn, split at commas
	MinVersion   uint16   // --ssl-min-version as a tls.Version* value; 0 = Go's default
	MaxVersion   uint16   // --ssl-max-version; 0 = Go's default
}
