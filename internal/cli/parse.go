package cli

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"gnc/internal/scan"
)

// rawOptions holds what the flag set stores before Parse checks the
// options against each other and builds a Config.
type rawOptions struct {
	c                          Config
	ipv4, ipv6                 bool
	sourcePort                 int // -1 when not given
	maxConnsGiven, sourceGiven bool
	help, version              bool
	chat                       bool // --chat or --talk
	brokerBufferGiven          bool
	proxyDNSGiven              bool
	execCount                  int // -e, -c and --lua-exec seen so far
}

// pendingOptions are recognised now and implemented by later work; each is
// refused with a clear message rather than accepted and ignored.
var pendingOptions = []struct{ name, short, arg, what string }{
	{"vsock", "", "", "--vsock"},
}

// refusedOptions will never be supported; the text says why.
var refusedOptions = []struct{ name, short, arg, why string }{
	{"sctp", "", "", "--sctp is not supported: Go's standard library has no SCTP sockets."},
	{"g", "g", "hops", "-g (loose source routing) is not supported: IPv4 source routing is obsolete and dropped by routers."},
	{"G", "G", "n", "-G (source routing hop pointer) is not supported: IPv4 source routing is obsolete and dropped by routers."},
	{"nsock-engine", "", "engine", "--nsock-engine is not supported: gnc has no nsock engines."},
}

// flagIdentity tells getopt-style prefix matching which long-only options
// behave alike: glibc takes the first of several matches when they all
// take the same kind of argument and set nothing of their own, and calls
// the prefix ambiguous otherwise. ncat's --recv-only, --send-only,
// --no-shutdown and --ssl each set a flag of their own.
var flagIdentity = map[string]string{
	"recv-only": "recv-only", "send-only": "send-only", "no-shutdown": "no-shutdown", "ssl": "ssl",
}

func newFlagSet(r *rawOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gnc", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	c := &r.c
	placeholder := func(name string) {
		for _, o := range pendingOptions {
			if o.name == name {
				addPlaceholder(fs, o.name, o.short, o.arg)
			}
		}
		for _, o := range refusedOptions {
			if o.name == name {
				addPlaceholder(fs, o.name, o.short, o.arg)
			}
		}
	}
	// Registration follows ncat's option table, whose order decides which
	// of several prefix matches wins and how ambiguities are listed.
	fs.BoolVarP(&r.ipv4, "4", "4", false, "")
	fs.BoolVarP(&r.ipv6, "6", "6", false, "")
	fs.BoolVarP(&c.Unix, "unixsock", "U", false, "")
	placeholder("vsock")
	fs.BoolVarP(&c.CRLF, "crlf", "C", false, "")
	placeholder("g")
	placeholder("G")
	fs.VarP(execValue{"-e", &c.Exec, &r.execCount}, "exec", "e", "")
	fs.VarP(execValue{"-c", &c.ShExec, &r.execCount}, "sh-exec", "c", "")
	fs.VarP(execValue{"--lua-exec", &c.LuaExec, &r.execCount}, "lua-exec", "", "")
	fs.VarP(textValue{"--lua-exec-internal", &c.LuaExecInternal}, "lua-exec-internal", "", "")
	fs.VarP(countValue{&c.MaxConns}, "max-conns", "m", "")
	fs.BoolVarP(&r.help, "help", "h", false, "")
	fs.VarP(timeValue{"-d delay", &c.Delay}, "delay", "d", "")
	fs.BoolVarP(&c.Listen, "listen", "l", false, "")
	fs.VarP(textValue{"-o", &c.OutputFile}, "output", "o", "")
	fs.VarP(textValue{"-x", &c.HexDumpFile}, "hex-dump", "x", "")
	fs.BoolVar(&c.AppendOutput, "append-output", false, "")
	fs.VarP(timeValue{"-i timeout", &c.IdleTimeout}, "idle-timeout", "i", "")
	fs.BoolVarP(&c.KeepOpen, "keep-open", "k", false, "")
	fs.BoolVar(&c.RecvOnly, "recv-only", false, "")
	fs.VarP(portValue{&r.sourcePort}, "source-port", "p", "")
	fs.StringVarP(&c.SourceAddr, "source", "s", "", "")
	fs.BoolVar(&c.SendOnly, "send-only", false, "")
	fs.BoolVar(&c.NoShutdown, "no-shutdown", false, "")
	fs.BoolVar(&c.Broker, "broker", false, "")
	fs.BoolVar(&r.chat, "chat", false, "")
	fs.BoolVar(&r.chat, "talk", false, "")
	fs.Var(specListValue{"--deny", &c.Deny}, "deny", "")
	fs.Var(textListValue{"--denyfile", &c.DenyFiles}, "denyfile", "")
	fs.Var(specListValue{"--allow", &c.Allow}, "allow", "")
	fs.Var(textListValue{"--allowfile", &c.AllowFiles}, "allowfile", "")
	fs.BoolVarP(&c.Telnet, "telnet", "t", false, "")
	fs.BoolVarP(&c.UDP, "udp", "u", false, "")
	placeholder("sctp")
	fs.BoolVar(&r.version, "version", false, "")
	fs.CountVarP(&c.Verbose, "verbose", "v", "")
	fs.VarP(timeValue{"-w timeout", &c.ConnectTimeout}, "wait", "w", "")
	fs.BoolVarP(&c.NoDNS, "nodns", "n", false, "")
	fs.VarP(onceValue{"--proxy", &c.ProxyAddr}, "proxy", "", "")
	fs.VarP(onceValue{"--proxy-type", &c.ProxyType}, "proxy-type", "", "")
	fs.VarP(onceValue{"--proxy-auth", &c.ProxyAuth}, "proxy-auth", "", "")
	fs.VarP(proxyDNSValue{&c.ProxyDNS}, "proxy-dns", "", "")
	placeholder("nsock-engine")
	t := &c.TLS
	fs.BoolVar(&t.Enabled, "ssl", false, "")
	fs.Var(sslFileValue{what: "--ssl-cert", dst: &t.CertFile}, "ssl-cert", "")
	fs.Var(sslFileValue{what: "--ssl-key", dst: &t.KeyFile}, "ssl-key", "")
	fs.BoolVar(&t.Verify, "ssl-verify", false, "")
	fs.Var(sslFileValue{what: "--ssl-trustfile", dst: &t.TrustFile, once: true}, "ssl-trustfile", "")
	fs.Var(cipherValue{t}, "ssl-ciphers", "")
	fs.VarP(textValue{"--ssl-servername", &t.ServerName}, "ssl-servername", "", "")
	fs.Var(alpnValue{&t.ALPN}, "ssl-alpn", "")
	fs.Var(versionValue{"--ssl-min-version", &t.MinVersion}, "ssl-min-version", "")
	fs.Var(versionValue{"--ssl-max-version", &t.MaxVersion}, "ssl-max-version", "")
	fs.BoolVar(&c.Test, "test", false, "")
	fs.Var(sizeValue{"--broker-buffer", &c.BrokerBuffer}, "broker-buffer", "")
	fs.Var(statusValue{&c.Status}, "status", "")
	fs.Var(progressValue{&c.Progress}, "progress", "")
	fs.Lookup("progress").NoOptDefVal = "auto" // --progress alone; --progress=always forces it
	for _, o := range pendingOptions {
		if fs.Lookup(o.name) == nil {
			addPlaceholder(fs, o.name, o.short, o.arg)
		}
	}
	// -z and -q have no long names in ncat; "_" names keep them out of
	// prefix matching.
	fs.BoolVarP(&c.ZeroIO, "_z", "z", false, "")
	fs.VarP(quitValue{&c.QuitAfterEOF}, "_q", "q", "")
	return fs
}

// addPlaceholder registers an option gnc recognises but does not run, so that
// it parses (with its argument) and can be refused by name.
func addPlaceholder(fs *pflag.FlagSet, name, short, arg string) {
	if arg == "" {
		fs.BoolP(name, short, false, "")
	} else {
		fs.StringP(name, short, "", "")
	}
}

// Parse turns gnc's arguments (without the program name) into a Config. It
// does no I/O. Every error is a *UsageError.
func Parse(args []string) (Config, error) {
	r := rawOptions{c: DefaultConfig(), sourcePort: -1}
	fs := newFlagSet(&r)
	args, err := normalize(fs, args)
	if err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		var usage *UsageError
		if errors.As(err, &usage) {
			return Config{}, usage
		}
		return Config{}, &UsageError{Msg: err.Error()}
	}
	if r.help || r.version {
		c := DefaultConfig()
		c.Help, c.Version = r.help, r.version
		return c, nil
	}
	for _, o := range refusedOptions {
		if fs.Changed(o.name) {
			return Config{}, &UsageError{Msg: o.why}
		}
	}
	for _, o := range pendingOptions {
		if fs.Changed(o.name) {
			return Config{}, usageErrorf("%s is not yet supported by this version of gnc.", o.what)
		}
	}
	if c := r.c; c.LuaExecInternal != "" {
		if fs.NFlag() != 1 || fs.NArg() != 0 {
			return Config{}, usageErrorf("--lua-exec-internal takes a script file and nothing else. QUITTING.")
		}
		return c, nil
	}
	r.maxConnsGiven = fs.Changed("max-conns")
	r.sourceGiven = fs.Changed("source")
	r.brokerBufferGiven = fs.Changed("broker-buffer")
	r.proxyDNSGiven = fs.Changed("proxy-dns")
	return r.config(fs.Args())
}

// config checks the options against each other and the positional arguments,
// with ncat's messages, and completes the Config.
func (r *rawOptions) config(args []string) (Config, error) {
	c := r.c
	switch {
	case r.ipv4 && r.ipv6:
		return Config{}, usageErrorf("-4 and -6 are incompatible: choose one address family. QUITTING.")
	case r.ipv4:
		c.Family = 4
	case r.ipv6:
		c.Family = 6
	}
	if r.chat {
		c.Chat, c.Broker = true, true // --chat is a broker that rewrites
	}
	if c.Broker {
		c.Listen = true // as ncat: --broker (and here --chat) implies -l
	}
	if err := r.checkCombinations(&c); err != nil {
		return Config{}, err
	}
	if err := checkProxy(&c); err != nil {
		return Config{}, err
	}
	if err := checkAccess(&c); err != nil {
		return Config{}, err
	}
	if err := checkTLS(&c); err != nil {
		return Config{}, err
	}
	var err error
	if c.Listen {
		c.Port = proxyServerPort(c.ProxyType, c.Port)
		err = c.listenPositionals(args, r.sourcePort)
	} else {
		c.SourcePort = r.sourcePort
		err = c.connectPositionals(args)
	}
	if err != nil {
		return Config{}, err
	}
	if err := r.checkProxyUse(&c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkProxyUse refuses proxy-client options that would have nothing to
// act on, and the port-list scan's combinations it does not carry out.
func (r *rawOptions) checkProxyUse(c *Config) error {
	switch {
	case c.Listen && r.proxyDNSGiven:
		return usageErrorf("--proxy-dns is for connecting through --proxy: it cannot be used with -l. QUITTING.")
	case !c.Listen && c.ProxyAddr == "" && r.proxyDNSGiven:
		return usageErrorf("--proxy-dns needs --proxy. QUITTING.")
	case !c.Listen && c.ProxyAddr == "" && c.ProxyAuth != "":
		return usageErrorf("--proxy-auth needs --proxy (or -l --proxy-type). QUITTING.")
	case len(c.ScanPorts) > 0 && c.ProxyAddr != "":
		return usageErrorf("-z with a port list through --proxy is not supported by this version of gnc: give one port. QUITTING.")
	case len(c.ScanPorts) > 0 && c.TLS.Enabled:
		return usageErrorf("-z with a port list and --ssl is not supported by this version of gnc: give one port. QUITTING.")
	}
	return nil
}

func (r *rawOptions) checkCombinations(c *Config) error {
	switch {
	case c.Listen && r.sourceGiven:
		return usageErrorf("-l and -s are incompatible.  Specify the address and port to bind to like you would a host to connect to. QUITTING.")
	case c.Listen && c.ZeroIO:
		return usageErrorf("Services designed for LISTENING can't be used with -z QUITTING.")
	case c.ZeroIO && c.Telnet:
		return usageErrorf("Invalid option combination: -z and -t. QUITTING.")
	case c.ZeroIO && c.hasExec():
		return usageErrorf("Command execution can't be done along with option -z. QUITTING.")
	case c.Broker && c.hasExec():
		return usageErrorf("Invalid option combination: --broker and -e. QUITTING.")
	case c.hasExec() && c.QuitAfterEOF >= 0:
		return usageErrorf("-q cannot be used with -e, -c or --lua-exec: the program, not stdin, feeds the connection. QUITTING.")
	case c.hasExec() && c.Listen && c.KeepOpen && c.Unix && c.UDP:
		return usageErrorf("-k with -e, -c or --lua-exec over Unix datagram sockets is not supported by gnc: use -U without -u, or UDP. QUITTING.")
	case c.hasExec() && c.Listen && c.ProxyType != "":
		return usageErrorf("Invalid option combination: --proxy-type and -e. QUITTING.")
	case c.SendOnly && c.RecvOnly:
		return usageErrorf("Invalid option combination: --send-only and --recv-only. QUITTING.")
	case c.Unix && r.sourcePort >= 0:
		return usageErrorf("Specifying source port when using Unix domain sockets doesn't make sense. QUITTING.")
	case c.Unix && c.Family != 0:
		return usageErrorf("-%d cannot be used with Unix domain sockets (-U). QUITTING.", c.Family)
	case r.sourceGiven && c.SourceAddr == "":
		return usageErrorf("-s needs a non-empty value. QUITTING.")
	case !c.Listen && r.maxConnsGiven:
		return usageErrorf("Invalid option combination: `--max-conns' with connect. QUITTING.")
	case r.brokerBufferGiven && !c.Broker:
		return usageErrorf("--broker-buffer needs --broker or --chat. QUITTING.")
	case c.Broker && c.Telnet:
		return usageErrorf("-t with --broker or --chat is not yet supported by this version of gnc.")
	case c.AppendOutput && c.OutputFile == "" && c.HexDumpFile == "":
		return usageErrorf("--append-output needs -o or -x: there is no output file to append to. QUITTING.")
	}
	return nil
}

func (c *Config) listenPositionals(args []string, port int) error {
	if c.Unix {
		if len(args) != 1 || args[0] == "" {
			return usageErrorf("You have to specify path to a socket to listen on. QUITTING.")
		}
		c.Host, c.Port = args[0], 0
		return nil
	}
	// As ncat: a first argument of digits only is a port, anything else the
	// address; every later argument is a port.
	var ports []string
	if port >= 0 {
		ports = append(ports, strconv.Itoa(port))
		c.Port = port
	}
	if len(args) > 0 && !isDigits(args[0]) {
		c.Host = args[0]
		args = args[1:]
	}
	ports = append(ports, args...)
	if len(ports) > 1 {
		return usageErrorf("Got more than one port specification: %s. QUITTING.", strings.Join(ports, " "))
	}
	if len(ports) == 1 {
		n, err := parsePort(ports[0])
		if err != nil {
			return err
		}
		c.Port = n
	}
	return nil
}

func (c *Config) connectPositionals(args []string) error {
	if len(args) == 0 || args[0] == "" {
		if c.Unix {
			return usageErrorf("You have to specify path to a socket to connect to. QUITTING.")
		}
		return usageErrorf("You must specify a host to connect to. QUITTING.")
	}
	c.Host = args[0]
	if c.Unix {
		if len(args) > 1 {
			return usageErrorf("Got more than one socket path: %s. QUITTING.", strings.Join(args, " "))
		}
		c.Port = 0
		return nil
	}
	if c.ZeroIO && isPortList(args[1:]) {
		return c.scanPositionals(args[1:])
	}
	switch len(args) {
	case 1:
	case 2:
		n, err := parsePort(args[1])
		if err != nil {
			return err
		}
		c.Port = n
	default:
		return usageErrorf("Got more than one port specification: %s. QUITTING.", strings.Join(args[1:], " "))
	}
	return nil
}

// isPortList says -z's port arguments ask for a scan rather than ncat's
// one port: several arguments, or one with a list or a range in it.
func isPortList(ports []string) bool {
	return len(ports) > 1 || len(ports) == 1 && strings.ContainsAny(ports[0], ",-")
}

// scanPositionals takes -z's port arguments as a port list (gnc's
// addition; ncat checks one port).
func (c *Config) scanPositionals(ports []string) error {
	list, err := scan.ParsePorts(ports)
	if err != nil {
		return usageErrorf("%s QUITTING.", err)
	}
	c.ScanPorts, c.Port = list, 0
	return nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || !isDigits(s) || n > 65535 {
		return 0, usageErrorf("Invalid port number %q. QUITTING.", s)
	}
	return n, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
