package cli

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// rawOptions holds option values as pflag stores them, before Parse checks
// and converts them into a Config.
type rawOptions struct {
	ipv4, ipv6, unix, udp, listen, keepOpen, noDNS, zero       bool
	crlf, telnet, sendOnly, recvOnly, noShutdown, appendOutput bool
	help, version, test                                        bool
	verbose                                                    int
	wait, idle, delay, quit                                    string
	maxConns, sourcePort, source, output, hexDump              string
}

// pendingOptions are recognised now and implemented by later work; each is
// refused with a clear message rather than accepted and ignored.
var pendingOptions = []struct{ name, short, arg, what string }{
	{"exec", "e", "command", "exec (-e)"},
	{"sh-exec", "c", "command", "exec (-c)"},
	{"lua-exec", "", "filename", "--lua-exec"},
	{"lua-exec-internal", "", "filename", "--lua-exec"},
	{"allow", "", "hosts", "access control (--allow)"},
	{"allowfile", "", "file", "access control (--allowfile)"},
	{"deny", "", "hosts", "access control (--deny)"},
	{"denyfile", "", "file", "access control (--denyfile)"},
	{"broker", "", "", "--broker"},
	{"chat", "", "", "--chat"},
	{"talk", "", "", "--chat (--talk)"},
	{"broker-buffer", "", "size", "--broker-buffer"},
	{"proxy", "", "addr[:port]", "--proxy"},
	{"proxy-type", "", "type", "--proxy-type"},
	{"proxy-auth", "", "auth", "--proxy-auth"},
	{"proxy-dns", "", "type", "--proxy-dns"},
	{"ssl", "", "", "TLS (--ssl)"},
	{"ssl-cert", "", "file", "TLS (--ssl-cert)"},
	{"ssl-key", "", "file", "TLS (--ssl-key)"},
	{"ssl-verify", "", "", "TLS (--ssl-verify)"},
	{"ssl-trustfile", "", "file", "TLS (--ssl-trustfile)"},
	{"ssl-ciphers", "", "ciphers", "TLS (--ssl-ciphers)"},
	{"ssl-servername", "", "name", "TLS (--ssl-servername)"},
	{"ssl-alpn", "", "protocols", "TLS (--ssl-alpn)"},
	{"ssl-min-version", "", "version", "TLS (--ssl-min-version)"},
	{"ssl-max-version", "", "version", "TLS (--ssl-max-version)"},
	{"vsock", "", "", "--vsock"},
	{"status", "", "addr", "--status"},
	{"progress", "", "", "--progress"},
}

// refusedOptions will never be supported; the text says why.
var refusedOptions = []struct{ name, short, arg, why string }{
	{"sctp", "", "", "--sctp is not supported: Go's standard library has no SCTP sockets."},
	{"", "g", "hops", "-g (loose source routing) is not supported: IPv4 source routing is obsolete and dropped by routers."},
	{"", "G", "n", "-G (source routing hop pointer) is not supported: IPv4 source routing is obsolete and dropped by routers."},
	{"nsock-engine", "", "engine", "--nsock-engine is not supported: gnc has no nsock engines."},
}

func newFlagSet(r *rawOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("gnc", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false

	fs.BoolVarP(&r.ipv4, "ipv4", "4", false, "")
	fs.BoolVarP(&r.ipv6, "ipv6", "6", false, "")
	fs.BoolVarP(&r.unix, "unixsock", "U", false, "")
	fs.BoolVarP(&r.crlf, "crlf", "C", false, "")
	fs.StringVarP(&r.maxConns, "max-conns", "m", "", "")
	fs.BoolVarP(&r.help, "help", "h", false, "")
	fs.StringVarP(&r.delay, "delay", "d", "", "")
	fs.StringVarP(&r.output, "output", "o", "", "")
	fs.StringVarP(&r.hexDump, "hex-dump", "x", "", "")
	fs.StringVarP(&r.idle, "idle-timeout", "i", "", "")
	fs.StringVarP(&r.sourcePort, "source-port", "p", "", "")
	fs.StringVarP(&r.source, "source", "s", "", "")
	fs.BoolVarP(&r.listen, "listen", "l", false, "")
	fs.BoolVarP(&r.keepOpen, "keep-open", "k", false, "")
	fs.BoolVarP(&r.noDNS, "nodns", "n", false, "")
	fs.BoolVarP(&r.telnet, "telnet", "t", false, "")
	fs.BoolVarP(&r.udp, "udp", "u", false, "")
	fs.CountVarP(&r.verbose, "verbose", "v", "")
	fs.StringVarP(&r.wait, "wait", "w", "", "")
	fs.StringVarP(&r.quit, "quit-after-eof", "q", "", "")
	fs.BoolVarP(&r.zero, "zero", "z", false, "")
	fs.BoolVar(&r.appendOutput, "append-output", false, "")
	fs.BoolVar(&r.sendOnly, "send-only", false, "")
	fs.BoolVar(&r.recvOnly, "recv-only", false, "")
	fs.BoolVar(&r.noShutdown, "no-shutdown", false, "")
	fs.BoolVar(&r.version, "version", false, "")
	fs.BoolVar(&r.test, "test", false, "")
	// -4, -6 and -z have no long names in ncat; pflag needs one, so give
	// them names nobody will type by prefix by accident.
	for _, n := range []string{"ipv4", "ipv6", "zero", "quit-after-eof"} {
		fs.Lookup(n).Hidden = true
	}

	for _, o := range pendingOptions {
		addPlaceholder(fs, o.name, o.short, o.arg)
	}
	for _, o := range refusedOptions {
		addPlaceholder(fs, o.name, o.short, o.arg)
	}
	return fs
}

// addPlaceholder registers an option gnc recognises but does not run, so that
// it parses (with its argument) and can be refused by name.
func addPlaceholder(fs *pflag.FlagSet, name, short, arg string) {
	if name == "" {
		name = "_" + short
	}
	if arg == "" {
		fs.BoolP(name, short, false, "")
	} else {
		fs.StringP(name, short, "", "")
	}
	if strings.HasPrefix(name, "_") {
		fs.Lookup(name).Hidden = true
	}
}

// Parse turns gnc's arguments (without the program name) into a Config. It
// does no I/O. Every error is a *UsageError.
func Parse(args []string) (Config, error) {
	var raw rawOptions
	fs := newFlagSet(&raw)
	args, err := expandPrefixes(fs, args)
	if err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, translateFlagError(err)
	}
	if raw.help || raw.version {
		c := DefaultConfig()
		c.Help, c.Version = raw.help, raw.version
		return c, nil
	}
	for _, o := range refusedOptions {
		if changed(fs, o.name, o.short) {
			return Config{}, &UsageError{Msg: o.why}
		}
	}
	for _, o := range pendingOptions {
		if changed(fs, o.name, o.short) {
			return Config{}, usageErrorf("%s is not yet supported by this version of gnc.", o.what)
		}
	}
	return raw.config(fs.Args())
}

func changed(fs *pflag.FlagSet, name, short string) bool {
	if name == "" {
		name = "_" + short
	}
	return fs.Changed(name)
}

// translateFlagError words pflag's errors as getopt does, since scripts and
// people know ncat's wording.
func translateFlagError(err error) error {
	var notExist *pflag.NotExistError
	var needsValue *pflag.ValueRequiredError
	switch {
	case errors.As(err, &notExist):
		if s := notExist.GetSpecifiedShortnames(); s != "" {
			return usageErrorf("invalid option -- '%s'", s)
		}
		return usageErrorf("unrecognized option '--%s'", notExist.GetSpecifiedName())
	case errors.As(err, &needsValue):
		if s := needsValue.GetSpecifiedShortnames(); s != "" {
			return usageErrorf("option requires an argument -- '%s'", s)
		}
		return usageErrorf("option '--%s' requires an argument", needsValue.GetSpecifiedName())
	}
	return &UsageError{Msg: err.Error()}
}

// config checks the options against each other and the positional arguments,
// with ncat's messages, and builds the Config.
func (r *rawOptions) config(args []string) (Config, error) {
	c := DefaultConfig()
	c.Listen, c.KeepOpen, c.UDP, c.Unix = r.listen, r.keepOpen, r.udp, r.unix
	c.NoDNS, c.ZeroIO, c.CRLF, c.Telnet = r.noDNS, r.zero, r.crlf, r.telnet
	c.SendOnly, c.RecvOnly, c.NoShutdown = r.sendOnly, r.recvOnly, r.noShutdown
	c.OutputFile, c.HexDumpFile, c.AppendOutput = r.output, r.hexDump, r.appendOutput
	c.Verbose, c.Test = r.verbose, r.test
	c.SourceAddr = r.source

	switch {
	case r.ipv4 && r.ipv6:
		return Config{}, usageErrorf("-4 and -6 are incompatible: choose one address family. QUITTING.")
	case r.ipv4:
		c.Family = 4
	case r.ipv6:
		c.Family = 6
	}

	var err error
	for _, t := range []struct {
		raw, what string
		dst       *time.Duration
	}{
		{r.wait, "-w timeout", &c.ConnectTimeout},
		{r.idle, "-i timeout", &c.IdleTimeout},
		{r.delay, "-d delay", &c.Delay},
	} {
		if t.raw == "" {
			continue
		}
		if *t.dst, err = parseTime(t.what, t.raw); err != nil {
			return Config{}, err
		}
	}
	if r.quit != "" {
		if c.QuitAfterEOF, err = parseQuitTime(r.quit); err != nil {
			return Config{}, err
		}
	}
	if r.maxConns != "" {
		n, err := strconv.Atoi(r.maxConns)
		if err != nil || n < 0 {
			return Config{}, usageErrorf("Invalid maximum number of connections %q (must be a non-negative integer). QUITTING.", r.maxConns)
		}
		c.MaxConns = n
	}

	port := -1 // -p: source port in connect mode, listen port with -l
	if r.sourcePort != "" {
		n, err := strconv.Atoi(r.sourcePort)
		if err != nil || !isDigits(r.sourcePort) {
			return Config{}, usageErrorf("Invalid source port number %q. QUITTING.", r.sourcePort)
		}
		if n > 65535 {
			return Config{}, usageErrorf("Invalid source port %d. QUITTING.", n)
		}
		port = n
	}

	if err := c.checkCombinations(r, port); err != nil {
		return Config{}, err
	}
	if c.Listen {
		err = c.listenPositionals(args, port)
	} else {
		c.SourcePort = port
		err = c.connectPositionals(args)
	}
	if err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) checkCombinations(r *rawOptions, port int) error {
	switch {
	case c.Listen && c.SourceAddr != "":
		return usageErrorf("-l and -s are incompatible.  Specify the address and port to bind to like you would a host to connect to. QUITTING.")
	case c.Listen && c.ZeroIO:
		return usageErrorf("Services designed for LISTENING can't be used with -z QUITTING.")
	case c.ZeroIO && c.Telnet:
		return usageErrorf("Invalid option combination: -z and -t. QUITTING.")
	case c.SendOnly && c.RecvOnly:
		return usageErrorf("Invalid option combination: --send-only and --recv-only. QUITTING.")
	case c.Unix && port >= 0:
		return usageErrorf("Specifying source port when using Unix domain sockets doesn't make sense. QUITTING.")
	case c.Unix && c.Family != 0:
		return usageErrorf("-%d cannot be used with Unix domain sockets (-U). QUITTING.", c.Family)
	case !c.Listen && r.maxConns != "":
		return usageErrorf("Invalid option combination: `--max-conns' with connect. QUITTING.")
	case c.AppendOutput && c.OutputFile == "" && c.HexDumpFile == "":
		return usageErrorf("--append-output needs -o or -x: there is no output file to append to. QUITTING.")
	}
	return nil
}

func (c *Config) listenPositionals(args []string, port int) error {
	if c.Unix {
		if len(args) != 1 {
			return usageErrorf("You have to specify path to a socket to listen on. QUITTING.")
		}
		c.Host, c.Port = args[0], 0
		return nil
	}
	var ports []string
	if port >= 0 {
		ports = append(ports, strconv.Itoa(port))
		c.Port = port
	}
	switch len(args) {
	case 0:
	case 1:
		if isDigits(args[0]) {
			ports = append(ports, args[0])
		} else {
			c.Host = args[0]
		}
	default:
		c.Host = args[0]
		ports = append(ports, args[1:]...)
	}
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
	if len(args) == 0 {
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

// expandPrefixes rewrites unique prefixes of long options to the full name,
// as getopt_long accepts them (--max-con 5), and reports ambiguous ones.
func expandPrefixes(fs *pflag.FlagSet, args []string) ([]string, error) {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.HasPrefix(f.Name, "_") {
			names = append(names, f.Name)
		}
	})
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if !strings.HasPrefix(a, "--") {
			out = append(out, a)
			if takesValueNext(fs, a) && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			continue
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		if fs.Lookup(name) == nil {
			var matches []string
			for _, n := range names {
				if strings.HasPrefix(n, name) && !fs.Lookup(n).Hidden {
					matches = append(matches, n)
				}
			}
			switch len(matches) {
			case 0:
			case 1:
				name = matches[0]
			default:
				return nil, usageErrorf("option '--%s' is ambiguous; possibilities: '--%s'", name, strings.Join(matches, "' '--"))
			}
		}
		if hasValue {
			out = append(out, "--"+name+"="+value)
			continue
		}
		out = append(out, "--"+name)
		if f := fs.Lookup(name); f != nil && f.Value.Type() != "bool" && f.Value.Type() != "count" && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	return out, nil
}

// takesValueNext reports whether a short-option bundle such as "-lp" ends in
// an option whose value is the next argument.
func takesValueNext(fs *pflag.FlagSet, arg string) bool {
	if len(arg) < 2 || arg[0] != '-' {
		return false
	}
	for i := 1; i < len(arg); i++ {
		f := fs.ShorthandLookup(arg[i : i+1])
		if f == nil {
			return false
		}
		if f.Value.Type() != "bool" && f.Value.Type() != "count" {
			return i == len(arg)-1
		}
	}
	return false
}
