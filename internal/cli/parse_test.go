package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"gnc/internal/tlsx"
)

// parseCase is one command line and what Parse must make of it: a whole
// Config (DefaultConfig changed by want), or a *UsageError with exactly
// the message err. ncat's texts were checked against ncat 7.93.
type parseCase struct {
	name string
	args []string
	want func(*Config) // used when err == ""; nil = DefaultConfig()
	err  string        // exact message of the *UsageError
	// bug, when set, names a known parser bug: the row still states the
	// correct expectation but is skipped while Parse gets it wrong.
	bug string
}

// Messages shared by many rows.
const (
	msgNeedHost     = "You must specify a host to connect to. QUITTING."
	msgListenWithS  = "-l and -s are incompatible.  Specify the address and port to bind to like you would a host to connect to. QUITTING."
	msgListenWithZ  = "Services designed for LISTENING can't be used with -z QUITTING."
	msgMaxConnsConn = "Invalid option combination: `--max-conns' with connect. QUITTING."
	msgOneExec      = "Only one of --exec, --sh-exec, and --lua-exec is allowed. QUITTING."
	msgBrokerExec   = "Invalid option combination: --broker and -e. QUITTING."
	msgLuaInternal  = "--lua-exec-internal takes a script file and nothing else. QUITTING."
)

func invalidTime(what, s string) string {
	return fmt.Sprintf("Invalid %s %q (must be greater than 0 and less than 2147483s). QUITTING.", what, s)
}

func badSize(s string) string {
	return fmt.Sprintf("Invalid --broker-buffer size %q (a number of bytes from 1 to 1TiB, optionally with K, M or G, e.g. 65536, 64KiB, 1MiB). QUITTING.", s)
}

// portSpan is lo..hi inclusive.
func portSpan(lo, hi int) []uint16 {
	var p []uint16
	for i := lo; i <= hi; i++ {
		p = append(p, uint16(i))
	}
	return p
}

// scanWant is the Config of "-z h PORTS" with a port list.
func scanWant(ports ...uint16) func(*Config) {
	return func(c *Config) { c.ZeroIO, c.Host, c.Port, c.ScanPorts = true, "h", 0, ports }
}

func notYet(what string) string {
	return what + " is not yet supported by this version of gnc."
}

// Known bugs, referenced by the rows they break (see the test report).
const (
	bugEmptyValue     = "an empty option value (-w '', -p '', -s '') is taken as 'option not given' and silently ignored"
	bugRepeated       = "only the last of a repeated option is checked; an earlier invalid value (-w 100 -w 1) is silently accepted"
	bugNoArgOption    = "long options without an argument accept --opt=value (pflag bool/count syntax); getopt says: option '--x' doesn't allow an argument"
	bugShortEquals    = "-X=value is pflag syntax; getopt takes '=' as part of the value (-p=5 → \"=5\") or as an invalid option (-l=1)"
	bugGotest         = "pflag silently drops any short bundle starting with 'test.' (-test.v), so options in it are accepted and ignored"
	bugBundleName     = "unknown short option in a bundle is reported with the rest of the bundle ('jl') instead of the one letter ('j')"
	bugUnknownLongVal = "unknown --name=value is reported without its value; getopt reports the whole argument"
	bugBadSyntax      = "---x and the like give pflag's 'bad flag syntax' text instead of getopt's unrecognized option"
	bugAmbigOrder     = "ambiguous-prefix possibilities are listed in gnc's registration order, not ncat's (getopt table) order"
	bugEmptyHost      = "an empty host argument is accepted as the connect target"
	bugListenDigits   = "in listen mode an all-digit first positional is the port even when more follow (ncat: -l 1 2 → two ports)"
	bugExponent       = "ncat reads times with strtod: 1e3 has no unit, so it gets the Since April 2010 message (1e1 would be 10s)"
)

func parseCases() []parseCase {
	cases := []parseCase{
		// ---- connect-mode positionals ----
		{name: "host only", args: []string{"example.com"}, want: func(c *Config) { c.Host = "example.com" }},
		{name: "host port", args: []string{"example.com", "80"}, want: func(c *Config) { c.Host, c.Port = "example.com", 80 }},
		{name: "ipv6 literal", args: []string{"::1", "8080"}, want: func(c *Config) { c.Host, c.Port = "::1", 8080 }},
		{name: "port 0", args: []string{"h", "0"}, want: func(c *Config) { c.Host, c.Port = "h", 0 }},
		{name: "port 65535", args: []string{"h", "65535"}, want: func(c *Config) { c.Host, c.Port = "h", 65535 }},
		{name: "port leading zeros", args: []string{"h", "00080"}, want: func(c *Config) { c.Host, c.Port = "h", 80 }},
		{name: "dash host", args: []string{"-"}, want: func(c *Config) { c.Host = "-" }},

		// ---- every option, short and long ----
		{name: "-4", args: []string{"-4", "h", "1"}, want: func(c *Config) { c.Family, c.Host, c.Port = 4, "h", 1 }},
		{name: "-6", args: []string{"-6", "h", "1"}, want: func(c *Config) { c.Family, c.Host, c.Port = 6, "h", 1 }},
		{name: "-U", args: []string{"-U", "/tmp/s"}, want: func(c *Config) { c.Unix, c.Host, c.Port = true, "/tmp/s", 0 }},
		{name: "--unixsock", args: []string{"--unixsock", "/tmp/s"}, want: func(c *Config) { c.Unix, c.Host, c.Port = true, "/tmp/s", 0 }},
		{name: "-U -u -s path", args: []string{"-U", "-u", "-s", "/tmp/src", "/tmp/s"}, want: func(c *Config) {
			c.Unix, c.UDP, c.SourceAddr, c.Host, c.Port = true, true, "/tmp/src", "/tmp/s", 0
		}},
		{name: "-lU", args: []string{"-lU", "/tmp/s"}, want: func(c *Config) { c.Listen, c.Unix, c.Host, c.Port = true, true, "/tmp/s", 0 }},
		{name: "-u", args: []string{"-u", "h", "53"}, want: func(c *Config) { c.UDP, c.Host, c.Port = true, "h", 53 }},
		{name: "--udp", args: []string{"--udp", "h", "53"}, want: func(c *Config) { c.UDP, c.Host, c.Port = true, "h", 53 }},
		{name: "-C", args: []string{"-C", "h"}, want: func(c *Config) { c.CRLF, c.Host = true, "h" }},
		{name: "--crlf", args: []string{"--crlf", "h"}, want: func(c *Config) { c.CRLF, c.Host = true, "h" }},
		{name: "-m", args: []string{"-l", "-m", "5"}, want: func(c *Config) { c.Listen, c.MaxConns = true, 5 }},
		{name: "-m attached", args: []string{"-lm5"}, want: func(c *Config) { c.Listen, c.MaxConns = true, 5 }},
		{name: "--max-conns 0", args: []string{"-lk", "--max-conns", "0"}, want: func(c *Config) { c.Listen, c.KeepOpen, c.MaxConns = true, true, 0 }},
		{name: "--max-conns=7", args: []string{"-l", "--max-conns=7"}, want: func(c *Config) { c.Listen, c.MaxConns = true, 7 }},
		{name: "-h", args: []string{"-h"}, want: func(c *Config) { c.Help = true }},
		{name: "--help", args: []string{"--help"}, want: func(c *Config) { c.Help = true }},
		{name: "--help wins over bad combinations", args: []string{"-l", "-z", "-s", "x", "--help"}, want: func(c *Config) { c.Help = true }},
		{name: "--help wins over pending option", args: []string{"--ssl", "-h"}, want: func(c *Config) { c.Help = true }},
		{name: "--version", args: []string{"--version"}, want: func(c *Config) { c.Version = true }},
		{name: "--version with host", args: []string{"--version", "h", "1"}, want: func(c *Config) { c.Version = true }},
		{name: "-d", args: []string{"-d", "250ms", "h"}, want: func(c *Config) { c.Delay, c.Host = 250*time.Millisecond, "h" }},
		{name: "--delay=.5", args: []string{"--delay=.5", "h"}, want: func(c *Config) { c.Delay, c.Host = 500*time.Millisecond, "h" }},
		{name: "-o", args: []string{"-o", "out.log", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "out.log", "h" }},
		{name: "--output=", args: []string{"--output=out.log", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "out.log", "h" }},
		{name: "-x", args: []string{"-x", "dump.hex", "h"}, want: func(c *Config) { c.HexDumpFile, c.Host = "dump.hex", "h" }},
		{name: "--hex-dump", args: []string{"--hex-dump", "dump.hex", "h"}, want: func(c *Config) { c.HexDumpFile, c.Host = "dump.hex", "h" }},
		{name: "--append-output -o", args: []string{"--append-output", "-o", "f", "h"}, want: func(c *Config) {
			c.AppendOutput, c.OutputFile, c.Host = true, "f", "h"
		}},
		{name: "--append-output -x", args: []string{"-x", "f", "--append-output", "h"}, want: func(c *Config) {
			c.AppendOutput, c.HexDumpFile, c.Host = true, "f", "h"
		}},
		{name: "-i", args: []string{"-i", "30", "h"}, want: func(c *Config) { c.IdleTimeout, c.Host = 30*time.Second, "h" }},
		{name: "--idle-timeout", args: []string{"--idle-timeout", "1m", "h"}, want: func(c *Config) { c.IdleTimeout, c.Host = time.Minute, "h" }},
		{name: "-p connect", args: []string{"-p", "5555", "h", "80"}, want: func(c *Config) { c.SourcePort, c.Host, c.Port = 5555, "h", 80 }},
		{name: "-p80 attached", args: []string{"-p80", "h", "81"}, want: func(c *Config) { c.SourcePort, c.Host, c.Port = 80, "h", 81 }},
		{name: "-p 0 connect", args: []string{"-p", "0", "h", "80"}, want: func(c *Config) { c.SourcePort, c.Host, c.Port = 0, "h", 80 }},
		{name: "--source-port=", args: []string{"--source-port=5555", "h"}, want: func(c *Config) { c.SourcePort, c.Host = 5555, "h" }},
		{name: "-l -p", args: []string{"-l", "-p", "8080"}, want: func(c *Config) { c.Listen, c.Port = true, 8080 }},
		{name: "-lp80", args: []string{"-lp80"}, want: func(c *Config) { c.Listen, c.Port = true, 80 }},
		{name: "-l -p 0", args: []string{"-l", "-p", "0"}, want: func(c *Config) { c.Listen, c.Port = true, 0 }},
		{name: "-l -p N ADDR (ncat bug not copied)", args: []string{"-l", "-p", "8080", "127.0.0.1"}, want: func(c *Config) {
			c.Listen, c.Host, c.Port = true, "127.0.0.1", 8080
		}},
		{name: "-s", args: []string{"-s", "10.0.0.1", "h"}, want: func(c *Config) { c.SourceAddr, c.Host = "10.0.0.1", "h" }},
		{name: "--source=", args: []string{"--source=10.0.0.1", "h"}, want: func(c *Config) { c.SourceAddr, c.Host = "10.0.0.1", "h" }},
		{name: "-l", args: []string{"-l"}, want: func(c *Config) { c.Listen = true }},
		{name: "--listen", args: []string{"--listen"}, want: func(c *Config) { c.Listen = true }},
		{name: "-l port", args: []string{"-l", "8080"}, want: func(c *Config) { c.Listen, c.Port = true, 8080 }},
		{name: "-l addr", args: []string{"-l", "127.0.0.1"}, want: func(c *Config) { c.Listen, c.Host = true, "127.0.0.1" }},
		{name: "-l addr port", args: []string{"-l", "127.0.0.1", "8080"}, want: func(c *Config) { c.Listen, c.Host, c.Port = true, "127.0.0.1", 8080 }},
		{name: "-l ::", args: []string{"-l", "::", "9"}, want: func(c *Config) { c.Listen, c.Host, c.Port = true, "::", 9 }},
		{name: "-l non-digit single arg is the address", args: []string{"-l", "0x10"}, want: func(c *Config) { c.Listen, c.Host = true, "0x10" }},
		{name: "-k listen", args: []string{"-l", "-k"}, want: func(c *Config) { c.Listen, c.KeepOpen = true, true }},
		{name: "--keep-open", args: []string{"--listen", "--keep-open"}, want: func(c *Config) { c.Listen, c.KeepOpen = true, true }},
		{name: "-k connect (7.96 semantics)", args: []string{"-k", "h", "1"}, want: func(c *Config) { c.KeepOpen, c.Host, c.Port = true, "h", 1 }},
		{name: "-n", args: []string{"-n", "h"}, want: func(c *Config) { c.NoDNS, c.Host = true, "h" }},
		{name: "--nodns", args: []string{"--nodns", "h"}, want: func(c *Config) { c.NoDNS, c.Host = true, "h" }},
		{name: "-t", args: []string{"-t", "h", "23"}, want: func(c *Config) { c.Telnet, c.Host, c.Port = true, "h", 23 }},
		{name: "--telnet", args: []string{"--telnet", "h"}, want: func(c *Config) { c.Telnet, c.Host = true, "h" }},
		{name: "-v", args: []string{"-v", "h"}, want: func(c *Config) { c.Verbose, c.Host = 1, "h" }},
		{name: "-vvv", args: []string{"-vvv", "h"}, want: func(c *Config) { c.Verbose, c.Host = 3, "h" }},
		{name: "-v -v --verbose", args: []string{"-v", "-v", "--verbose", "h"}, want: func(c *Config) { c.Verbose, c.Host = 3, "h" }},
		{name: "-w", args: []string{"-w", "3", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 3*time.Second, "h" }},
		{name: "-w3 attached", args: []string{"-w3", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 3*time.Second, "h" }},
		{name: "-w500ms attached", args: []string{"-w500ms", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 500*time.Millisecond, "h" }},
		{name: "--wait=1.5", args: []string{"--wait=1.5", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 1500*time.Millisecond, "h" }},
		{name: "--wait 2S", args: []string{"--wait", "2S", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 2*time.Second, "h" }},
		{name: "-w 1h", args: []string{"-w", "1h", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = time.Hour, "h" }},
		{name: "-w 100s", args: []string{"-w", "100s", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 100*time.Second, "h" }},
		{name: "-q 0", args: []string{"-q", "0", "h"}, want: func(c *Config) { c.QuitAfterEOF, c.Host = 0, "h" }},
		{name: "-q -1", args: []string{"-q", "-1", "h"}, want: func(c *Config) { c.QuitAfterEOF, c.Host = -1, "h" }},
		{name: "-q 5", args: []string{"-q", "5", "h"}, want: func(c *Config) { c.QuitAfterEOF, c.Host = 5*time.Second, "h" }},
		{name: "-q1 attached", args: []string{"-q1", "h"}, want: func(c *Config) { c.QuitAfterEOF, c.Host = time.Second, "h" }},
		{name: "--4", args: []string{"--4", "h"}, want: func(c *Config) { c.Family, c.Host = 4, "h" }},
		{name: "--6", args: []string{"--6", "h"}, want: func(c *Config) { c.Family, c.Host = 6, "h" }},
		{name: "-q has no long name", args: []string{"--quit-after-eof", "2", "h"}, err: "unrecognized option '--quit-after-eof'"},
		{name: "--g", args: []string{"--g", "1.2.3.4", "h"}, err: "-g (loose source routing) is not supported: IPv4 source routing is obsolete and dropped by routers."},
		{name: "--G", args: []string{"--G", "4", "h"}, err: "-G (source routing hop pointer) is not supported: IPv4 source routing is obsolete and dropped by routers."},
		{name: "-z", args: []string{"-z", "h", "80"}, want: func(c *Config) { c.ZeroIO, c.Host, c.Port = true, "h", 80 }},
		// -z port lists and ranges: gnc's addition (ncat: Invalid port number "20-30").
		{name: "-z range and list", args: []string{"-z", "h", "20-30,80,443"}, want: scanWant(append(portSpan(20, 30), 80, 443)...)},
		{name: "-z several port arguments", args: []string{"-z", "h", "20-30", "80", "443"}, want: scanWant(append(portSpan(20, 30), 80, 443)...)},
		{name: "-z ports sorted, duplicates once", args: []string{"-z", "h", "443", "80,81", "79-81,80"}, want: scanWant(79, 80, 81, 443)},
		{name: "-z two plain ports", args: []string{"h", "2", "1", "-z"}, want: scanWant(1, 2)},
		{name: "-z one-port range", args: []string{"-z", "h", "80-80"}, want: scanWant(80)},
		{name: "-z whole range", args: []string{"-z", "h", "1-65535"}, want: scanWant(portSpan(1, 65535)...)},
		{name: "-zv -w range", args: []string{"-zvw", "1", "-4", "h", "1-3"}, want: func(c *Config) {
			scanWant(1, 2, 3)(c)
			c.Verbose, c.ConnectTimeout, c.Family = 1, time.Second, 4
		}},
		{name: "-z single port keeps ncat's message", args: []string{"-z", "h", "http"}, err: `Invalid port number "http". QUITTING.`},
		{name: "-z single port 0 as ncat", args: []string{"-z", "h", "0"}, want: func(c *Config) { c.ZeroIO, c.Host, c.Port = true, "h", 0 }},
		{name: "-z list with 0", args: []string{"-z", "h", "0,80"}, err: `Invalid port list "0,80": "0": ports are 1 to 65535. QUITTING.`},
		{name: "-z range to 65536", args: []string{"-z", "h", "1-65536"}, err: `Invalid port list "1-65536": "1-65536": ports are 1 to 65535. QUITTING.`},
		{name: "-z 65536 among ports", args: []string{"-z", "h", "80", "65536"}, err: `Invalid port list "65536": "65536": ports are 1 to 65535. QUITTING.`},
		{name: "-z reversed range", args: []string{"-z", "h", "30-20"}, err: `Invalid port list "30-20": range "30-20" ends before it starts. QUITTING.`},
		{name: "-z range of names", args: []string{"-z", "h", "a-b"}, err: `Invalid port list "a-b": "a-b" is not a port (N) or a range (N-M). QUITTING.`},
		{name: "-z name in a list", args: []string{"-z", "h", "80,http"}, err: `Invalid port list "80,http": "http" is not a port (N) or a range (N-M). QUITTING.`},
		{name: "-z empty item", args: []string{"-z", "h", "80,,81"}, err: `Invalid port list "80,,81": empty item. QUITTING.`},
		{name: "-z trailing comma", args: []string{"-z", "h", "80,"}, err: `Invalid port list "80,": empty item. QUITTING.`},
		{name: "-z empty argument", args: []string{"-z", "h", "80", ""}, err: `Invalid port list "": empty item. QUITTING.`},
		{name: "-z open range", args: []string{"-z", "h", "80-"}, err: `Invalid port list "80-": range "80-" needs a first and a last port. QUITTING.`},
		{name: "-z -u range", args: []string{"-zu", "h", "20-30"}, want: func(c *Config) { scanWant(portSpan(20, 30)...)(c); c.UDP = true }},
		{name: "-z -U two paths", args: []string{"-zU", "a", "b"}, err: "Got more than one socket path: a b. QUITTING."},
		{name: "-l -z range", args: []string{"-l", "-z", "h", "1-2"}, err: msgListenWithZ},
		{name: "--send-only", args: []string{"--send-only", "h"}, want: func(c *Config) { c.SendOnly, c.Host = true, "h" }},
		{name: "--recv-only", args: []string{"--recv-only", "h"}, want: func(c *Config) { c.RecvOnly, c.Host = true, "h" }},
		{name: "--no-shutdown", args: []string{"--no-shutdown", "h"}, want: func(c *Config) { c.NoShutdown, c.Host = true, "h" }},
		{name: "--test", args: []string{"-l", "--test"}, want: func(c *Config) { c.Listen, c.Test = true, true }},

		// ---- getopt shapes ----
		{name: "bundle -lkv", args: []string{"-lkv"}, want: func(c *Config) { c.Listen, c.KeepOpen, c.Verbose = true, true, 1 }},
		{name: "bundle -lvnp 4444", args: []string{"-lvnp", "4444"}, want: func(c *Config) {
			c.Listen, c.Verbose, c.NoDNS, c.Port = true, 1, true, 4444
		}},
		{name: "bundle -lvkp4444", args: []string{"-lvkp4444"}, want: func(c *Config) {
			c.Listen, c.Verbose, c.KeepOpen, c.Port = true, 1, true, 4444
		}},
		{name: "bundle -nvzw 2", args: []string{"-nvzw", "2", "h", "80"}, want: func(c *Config) {
			c.NoDNS, c.Verbose, c.ZeroIO, c.ConnectTimeout, c.Host, c.Port = true, 1, true, 2*time.Second, "h", 80
		}},
		{name: "bundle -uvl 9999", args: []string{"-uvl", "9999"}, want: func(c *Config) { c.UDP, c.Verbose, c.Listen, c.Port = true, 1, true, 9999 }},
		{name: "options after positionals", args: []string{"h", "80", "-v", "-w", "3"}, want: func(c *Config) {
			c.Host, c.Port, c.Verbose, c.ConnectTimeout = "h", 80, 1, 3*time.Second
		}},
		{name: "options between positionals", args: []string{"-l", "127.0.0.1", "-k", "8080", "-v"}, want: func(c *Config) {
			c.Listen, c.Host, c.KeepOpen, c.Port, c.Verbose = true, "127.0.0.1", true, 8080, 1
		}},
		{name: "-- ends options", args: []string{"-v", "--", "h", "80"}, want: func(c *Config) { c.Verbose, c.Host, c.Port = 1, "h", 80 }},
		{name: "-- then dash host", args: []string{"--", "-h", "80"}, want: func(c *Config) { c.Host, c.Port = "-h", 80 }},
		{name: "-- then dashdash host", args: []string{"-l", "--", "--ver", "1"}, want: func(c *Config) { c.Listen, c.Host, c.Port = true, "--ver", 1 }},
		{name: "value that looks like an option", args: []string{"-o", "--ver", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "--ver", "h" }},
		{name: "long value that looks like an option", args: []string{"--output", "-v", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "-v", "h" }},
		{name: "value --", args: []string{"-o", "--", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "--", "h" }},
		{name: "repeated option, last wins", args: []string{"-w", "1", "-w", "2", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 2*time.Second, "h" }},

		// ---- unique long prefixes ----
		{name: "--max-con 5", args: []string{"-l", "--max-con", "5"}, want: func(c *Config) { c.Listen, c.MaxConns = true, 5 }},
		{name: "--max-con=5", args: []string{"-l", "--max-con=5"}, want: func(c *Config) { c.Listen, c.MaxConns = true, 5 }},
		{name: "--lis", args: []string{"--lis"}, want: func(c *Config) { c.Listen = true }},
		{name: "--hel", args: []string{"--hel"}, want: func(c *Config) { c.Help = true }},
		{name: "--vers", args: []string{"--vers"}, want: func(c *Config) { c.Version = true }},
		{name: "--verb", args: []string{"--verb", "h"}, want: func(c *Config) { c.Verbose, c.Host = 1, "h" }},
		{name: "--wa 3", args: []string{"--wa", "3", "h"}, want: func(c *Config) { c.ConnectTimeout, c.Host = 3*time.Second, "h" }},
		{name: "--source-p 5", args: []string{"--source-p", "5", "h"}, want: func(c *Config) { c.SourcePort, c.Host = 5, "h" }},
		{name: "--no-s --sen", args: []string{"--no-s", "--sen", "h"}, want: func(c *Config) { c.NoShutdown, c.SendOnly, c.Host = true, true, "h" }},
		{name: "--re", args: []string{"--re", "h"}, want: func(c *Config) { c.RecvOnly, c.Host = true, "h" }},
		{name: "--ke --ud --cr --tel --nod", args: []string{"-l", "--ke", "--ud", "--cr", "--tel", "--nod"}, want: func(c *Config) {
			c.Listen, c.KeepOpen, c.UDP, c.CRLF, c.Telnet, c.NoDNS = true, true, true, true, true, true
		}},
		{name: "--out --hex --app", args: []string{"--out", "o", "--hex", "x", "--app", "h"}, want: func(c *Config) {
			c.OutputFile, c.HexDumpFile, c.AppendOutput, c.Host = "o", "x", true, "h"
		}},
		{name: "--dela --idle", args: []string{"--dela", "1", "--idle", "2", "h"}, want: func(c *Config) {
			c.Delay, c.IdleTimeout, c.Host = time.Second, 2*time.Second, "h"
		}},
		{name: "--unix", args: []string{"--unix", "/s"}, want: func(c *Config) { c.Unix, c.Host, c.Port = true, "/s", 0 }},
		{name: "prefix value is not expanded", args: []string{"-o", "--lis", "h"}, want: func(c *Config) { c.OutputFile, c.Host = "--lis", "h" }},
		{name: "ambiguous --ver", args: []string{"--ver"}, err: "option '--ver' is ambiguous; possibilities: '--version' '--verbose'"},
		{name: "ambiguous --no", args: []string{"--no", "h"}, err: "option '--no' is ambiguous; possibilities: '--no-shutdown' '--nodns'"},
		{name: "ambiguous --he", args: []string{"--he"}, err: "option '--he' is ambiguous; possibilities: '--help' '--hex-dump'"},
		{name: "ambiguous --so", args: []string{"--so", "x"}, err: "option '--so' is ambiguous; possibilities: '--source-port' '--source'"},
		{name: "ambiguous --a", args: []string{"--a"}, err: "option '--a' is ambiguous; possibilities: '--append-output' '--allow' '--allowfile'"},
		{name: "hidden names are no prefix targets", args: []string{"--qu", "1", "h"}, err: "unrecognized option '--qu'"},

		// ---- getopt errors ----
		{name: "unknown long", args: []string{"--bogus"}, err: "unrecognized option '--bogus'"},
		{name: "unknown long after positionals", args: []string{"h", "1", "--bogus"}, err: "unrecognized option '--bogus'"},
		{name: "unknown long with value", args: []string{"--bogus=1"}, err: "unrecognized option '--bogus=1'"},
		{name: "unknown long ---x", args: []string{"---x"}, err: "unrecognized option '---x'"},
		{name: "unknown short", args: []string{"-j"}, err: "invalid option -- 'j'"},
		{name: "unknown short after known", args: []string{"-lj"}, err: "invalid option -- 'j'"},
		{name: "unknown short before known", args: []string{"-jl"}, err: "invalid option -- 'j'"},
		{name: "unknown short digit", args: []string{"-v3"}, err: "invalid option -- '3'"},
		{name: "missing -p", args: []string{"-p"}, err: "option requires an argument -- 'p'"},
		{name: "missing -p in bundle", args: []string{"-lp"}, err: "option requires an argument -- 'p'"},
		{name: "missing -w in bundle", args: []string{"-vw"}, err: "option requires an argument -- 'w'"},
		{name: "missing -o", args: []string{"-o"}, err: "option requires an argument -- 'o'"},
		{name: "missing -x", args: []string{"-x"}, err: "option requires an argument -- 'x'"},
		{name: "missing -s", args: []string{"-s"}, err: "option requires an argument -- 's'"},
		{name: "missing -m", args: []string{"-l", "-m"}, err: "option requires an argument -- 'm'"},
		{name: "missing -i", args: []string{"-i"}, err: "option requires an argument -- 'i'"},
		{name: "missing -d", args: []string{"-d"}, err: "option requires an argument -- 'd'"},
		{name: "missing -q", args: []string{"h", "-q"}, err: "option requires an argument -- 'q'"},
		{name: "missing -e", args: []string{"-e"}, err: "option requires an argument -- 'e'"},
		{name: "missing -c", args: []string{"-c"}, err: "option requires an argument -- 'c'"},
		{name: "missing -g", args: []string{"-g"}, err: "option requires an argument -- 'g'"},
		{name: "missing -G", args: []string{"-G"}, err: "option requires an argument -- 'G'"},
		{name: "missing --output", args: []string{"--output"}, err: "option '--output' requires an argument"},
		{name: "missing --wait", args: []string{"h", "--wait"}, err: "option '--wait' requires an argument"},
		{name: "missing --max-con (prefix)", args: []string{"--max-con"}, err: "option '--max-conns' requires an argument"},
		{name: "missing --proxy", args: []string{"--proxy"}, err: "option '--proxy' requires an argument"},
		{name: "missing --exec", args: []string{"--exec"}, err: "option '--exec' requires an argument"},
		{name: "--listen=1", args: []string{"--listen=1"}, err: "option '--listen' doesn't allow an argument"},
		{name: "--udp=false", args: []string{"--udp=false", "h", "1"}, err: "option '--udp' doesn't allow an argument"},
		{name: "--verbose=3", args: []string{"--verbose=3", "h"}, err: "option '--verbose' doesn't allow an argument"},
		{name: "--ssl=x", args: []string{"--ssl=x", "h"}, err: "option '--ssl' doesn't allow an argument"},
		{name: "-l=1", args: []string{"-l=1"}, err: "invalid option -- '='"},
		{name: "-p=5", args: []string{"-p=5", "h", "1"}, err: `Invalid source port number "=5". QUITTING.`},
		{name: "-test.v is -t -e st.v", args: []string{"-test.v", "h", "1"}, want: func(c *Config) { c.Telnet, c.Exec, c.Host, c.Port = true, "st.v", "h", 1 }},

		// ---- combinations (checkCombinations) ----
		{name: "-l -s", args: []string{"-l", "-s", "1.2.3.4"}, err: msgListenWithS},
		{name: "-l -s empty", args: []string{"-l", "-s", ""}, err: msgListenWithS},
		{name: "-l -z", args: []string{"-l", "-z"}, err: msgListenWithZ},
		{name: "-lz", args: []string{"-lz", "80"}, err: msgListenWithZ},
		{name: "-l -z -t: listen message first", args: []string{"-l", "-z", "-t"}, err: msgListenWithZ},
		{name: "-z -t", args: []string{"-z", "-t", "h", "1"}, err: "Invalid option combination: -z and -t. QUITTING."},
		{name: "--send-only --recv-only", args: []string{"--send-only", "--recv-only", "h", "1"}, err: "Invalid option combination: --send-only and --recv-only. QUITTING."},
		{name: "-U -p", args: []string{"-U", "-p", "5", "/tmp/s"}, err: "Specifying source port when using Unix domain sockets doesn't make sense. QUITTING."},
		{name: "-U -p listen", args: []string{"-lU", "-p", "5", "/tmp/s"}, err: "Specifying source port when using Unix domain sockets doesn't make sense. QUITTING."},
		{name: "-U -p without path", args: []string{"-U", "-p", "5"}, err: "Specifying source port when using Unix domain sockets doesn't make sense. QUITTING."},
		{name: "-U -4", args: []string{"-U", "-4", "/tmp/s"}, err: "-4 cannot be used with Unix domain sockets (-U). QUITTING."},
		{name: "-U -6", args: []string{"-6", "-U", "/tmp/s"}, err: "-6 cannot be used with Unix domain sockets (-U). QUITTING."},
		{name: "-4 -6", args: []string{"-4", "-6", "h", "1"}, err: "-4 and -6 are incompatible: choose one address family. QUITTING."},
		{name: "-m connect", args: []string{"-m", "5", "h", "1"}, err: msgMaxConnsConn},
		{name: "--max-conns connect", args: []string{"h", "1", "--max-conns", "0"}, err: msgMaxConnsConn},
		{name: "--append-output alone", args: []string{"--append-output", "h", "1"}, err: "--append-output needs -o or -x: there is no output file to append to. QUITTING."},

		// ---- positionals ----
		{name: "no args", args: nil, err: msgNeedHost},
		{name: "options only", args: []string{"-v", "-w", "1"}, err: msgNeedHost},
		{name: "-- only", args: []string{"--"}, err: msgNeedHost},
		{name: "empty host", args: []string{"", "80"}, err: msgNeedHost},
		{name: "bad port http", args: []string{"h", "http"}, err: `Invalid port number "http". QUITTING.`},
		{name: "bad port 70000", args: []string{"h", "70000"}, err: `Invalid port number "70000". QUITTING.`},
		{name: "bad port 65536", args: []string{"h", "65536"}, err: `Invalid port number "65536". QUITTING.`},
		{name: "bad port -5", args: []string{"h", "--", "-5"}, err: `Invalid port number "-5". QUITTING.`},
		{name: "bad port +5", args: []string{"h", "+5"}, err: `Invalid port number "+5". QUITTING.`},
		{name: "bad port range without -z", args: []string{"h", "20-30"}, err: `Invalid port number "20-30". QUITTING.`},
		{name: "bad port empty", args: []string{"h", ""}, err: `Invalid port number "". QUITTING.`},
		{name: "bad port huge", args: []string{"h", "99999999999999999999"}, err: `Invalid port number "99999999999999999999". QUITTING.`},
		{name: "two ports", args: []string{"h", "1", "2"}, err: "Got more than one port specification: 1 2. QUITTING."},
		{name: "three ports", args: []string{"h", "1", "2", "3"}, err: "Got more than one port specification: 1 2 3. QUITTING."},
		{name: "-p and two ports", args: []string{"-p", "5", "h", "1", "2"}, err: "Got more than one port specification: 1 2. QUITTING."},
		{name: "-l -p 5 6", args: []string{"-l", "-p", "5", "6"}, err: "Got more than one port specification: 5 6. QUITTING."},
		{name: "-l -p 5 5", args: []string{"-l", "-p", "5", "5"}, err: "Got more than one port specification: 5 5. QUITTING."},
		{name: "-l -p 5 addr 6", args: []string{"-l", "-p", "5", "127.0.0.1", "6"}, err: "Got more than one port specification: 5 6. QUITTING."},
		{name: "-l addr two ports", args: []string{"-l", "127.0.0.1", "1", "2"}, err: "Got more than one port specification: 1 2. QUITTING."},
		{name: "-l 1 2", args: []string{"-l", "1", "2"}, err: "Got more than one port specification: 1 2. QUITTING."},
		{name: "-l addr http", args: []string{"-l", "127.0.0.1", "http"}, err: `Invalid port number "http". QUITTING.`},
		{name: "-l 70000", args: []string{"-l", "70000"}, err: `Invalid port number "70000". QUITTING.`},
		{name: "-U without path", args: []string{"-U"}, err: "You have to specify path to a socket to connect to. QUITTING."},
		{name: "-lU without path", args: []string{"-lU"}, err: "You have to specify path to a socket to listen on. QUITTING."},
		{name: "-U two paths", args: []string{"-U", "a", "b"}, err: "Got more than one socket path: a b. QUITTING."},

		// ---- option values ----
		{name: "-p http", args: []string{"-p", "http", "h", "1"}, err: `Invalid source port number "http". QUITTING.`},
		{name: "-p 70000", args: []string{"-p", "70000", "h", "1"}, err: "Invalid source port 70000. QUITTING."},
		{name: "-p -1", args: []string{"-p", "-1", "h", "1"}, err: `Invalid source port number "-1". QUITTING.`},
		{name: "-p +5", args: []string{"-p", "+5", "h", "1"}, err: `Invalid source port number "+5". QUITTING.`},
		{name: "-l -p 70000", args: []string{"-l", "-p", "70000"}, err: "Invalid source port 70000. QUITTING."},
		{name: "-p empty", args: []string{"-p", "", "h", "1"}, err: `Invalid source port number "". QUITTING.`},
		{name: "-p http -p 5", args: []string{"-p", "http", "-p", "5", "h", "1"}, err: `Invalid source port number "http". QUITTING.`},
		{name: "-m -1", args: []string{"-l", "-m", "-1"}, err: `Invalid maximum number of connections "-1" (must be a non-negative integer). QUITTING.`},
		{name: "-m x", args: []string{"-l", "-m", "x"}, err: `Invalid maximum number of connections "x" (must be a non-negative integer). QUITTING.`},
		{name: "-m empty", args: []string{"-l", "-m", ""}, err: `Invalid maximum number of connections "" (must be a non-negative integer). QUITTING.`},
		{name: "-w 0", args: []string{"-w", "0", "h", "1"}, err: invalidTime("-w timeout", "0")},
		{name: "-w 0.5ms", args: []string{"-w", "0.5ms", "h", "1"}, err: invalidTime("-w timeout", "0.5ms")},
		{name: "-w -1", args: []string{"-w", "-1", "h", "1"}, err: invalidTime("-w timeout", "-1")},
		{name: "-w 1x", args: []string{"-w1x", "h", "1"}, err: invalidTime("-w timeout", "1x")},
		{name: "-w 2147484s", args: []string{"--wait=2147484s", "h", "1"}, err: invalidTime("-w timeout", "2147484s")},
		{name: "-w 100", args: []string{"-w", "100", "h", "1"}, err: `Since April 2010, the default unit for -w timeout is seconds, so your time of "100" is 1.7 minutes. Use "100ms" for 100 milliseconds. QUITTING.`},
		{name: "-w 1e3", args: []string{"-w", "1e3", "h", "1"}, err: `Since April 2010, the default unit for -w timeout is seconds, so your time of "1e3" is 16.7 minutes. Use "1e3ms" for 1e3 milliseconds. QUITTING.`},
		{name: "-w empty", args: []string{"-w", "", "h", "1"}, err: invalidTime("-w timeout", "")},
		{name: "-w 100 -w 1", args: []string{"-w", "100", "-w", "1", "h", "1"}, err: `Since April 2010, the default unit for -w timeout is seconds, so your time of "100" is 1.7 minutes. Use "100ms" for 100 milliseconds. QUITTING.`},
		{name: "-i 0", args: []string{"-i", "0", "h", "1"}, err: invalidTime("-i timeout", "0")},
		{name: "-i 250", args: []string{"-i", "250", "h", "1"}, err: `Since April 2010, the default unit for -i timeout is seconds, so your time of "250" is 4.2 minutes. Use "250ms" for 250 milliseconds. QUITTING.`},
		{name: "-i empty", args: []string{"-i", "", "h", "1"}, err: invalidTime("-i timeout", "")},
		{name: "-d 0", args: []string{"-d", "0", "h", "1"}, err: invalidTime("-d delay", "0")},
		{name: "-d 100", args: []string{"-d", "100", "h", "1"}, err: `Since April 2010, the default unit for -d delay is seconds, so your time of "100" is 1.7 minutes. Use "100ms" for 100 milliseconds. QUITTING.`},
		{name: "-d empty", args: []string{"-d", "", "h", "1"}, err: invalidTime("-d delay", "")},
		{name: "-d 0 -d 1", args: []string{"-d", "0", "-d", "1", "h", "1"}, err: invalidTime("-d delay", "0")},
		{name: "-q x", args: []string{"-q", "x", "h", "1"}, err: invalidTime("-q timeout", "x")},
		{name: "-q 100", args: []string{"-q", "100", "h", "1"}, err: `Since April 2010, the default unit for -q timeout is seconds, so your time of "100" is 1.7 minutes. Use "100ms" for 100 milliseconds. QUITTING.`},
		{name: "-q empty", args: []string{"-q", "", "h", "1"}, err: invalidTime("-q timeout", "")},

		// ---- broker and chat ----
		{name: "--broker implies -l", args: []string{"--broker"}, want: func(c *Config) { c.Broker, c.Listen = true, true }},
		{name: "--broker host port listens there (as ncat 7.93)", args: []string{"--broker", "127.0.0.1", "8080"}, want: func(c *Config) {
			c.Broker, c.Listen, c.Host, c.Port = true, true, "127.0.0.1", 8080
		}},
		{name: "--broker -l -p", args: []string{"--broker", "-l", "-p", "1234"}, want: func(c *Config) { c.Broker, c.Listen, c.Port = true, true, 1234 }},
		{name: "--chat implies --broker and -l", args: []string{"--chat"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen = true, true, true }},
		{name: "--chat port", args: []string{"-l", "--chat", "8080"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen, c.Port = true, true, true, 8080 }},
		{name: "--talk is --chat", args: []string{"--talk"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen = true, true, true }},
		{name: "--broker -m -k", args: []string{"--broker", "-k", "-m", "3"}, want: func(c *Config) { c.Broker, c.Listen, c.KeepOpen, c.MaxConns = true, true, true, 3 }},
		{name: "--broker --send-only", args: []string{"--broker", "--send-only"}, want: func(c *Config) { c.Broker, c.Listen, c.SendOnly = true, true, true }},
		{name: "--chat --recv-only", args: []string{"--chat", "--recv-only"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen, c.RecvOnly = true, true, true, true }},
		{name: "--chat -i", args: []string{"--chat", "-i", "5"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen, c.IdleTimeout = true, true, true, 5*time.Second }},
		{name: "--broker -U", args: []string{"--broker", "-U", "/tmp/s"}, want: func(c *Config) { c.Broker, c.Listen, c.Unix, c.Host, c.Port = true, true, true, "/tmp/s", 0 }},
		{name: "--broker-buffer bytes", args: []string{"--broker", "--broker-buffer", "65536"}, want: func(c *Config) { c.Broker, c.Listen, c.BrokerBuffer = true, true, 65536 }},
		{name: "--broker-buffer KiB", args: []string{"--chat", "--broker-buffer=64KiB"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen, c.BrokerBuffer = true, true, true, 64<<10 }},
		{name: "--broker-buffer MiB", args: []string{"--broker", "--broker-buffer", "1MiB"}, want: func(c *Config) { c.Broker, c.Listen, c.BrokerBuffer = true, true, 1<<20 }},
		{name: "--broker-buffer m", args: []string{"--broker", "--broker-buffer", "4m"}, want: func(c *Config) { c.Broker, c.Listen, c.BrokerBuffer = true, true, 4<<20 }},
		{name: "--broker-buffer G", args: []string{"--broker", "--broker-buffer", "1G"}, want: func(c *Config) { c.Broker, c.Listen, c.BrokerBuffer = true, true, 1<<30 }},
		{name: "--broker-buffer 0", args: []string{"--broker", "--broker-buffer", "0"}, err: badSize("0")},
		{name: "--broker-buffer empty", args: []string{"--broker", "--broker-buffer", ""}, err: badSize("")},
		{name: "--broker-buffer unit only", args: []string{"--broker", "--broker-buffer", "MiB"}, err: badSize("MiB")},
		{name: "--broker-buffer bad unit", args: []string{"--broker", "--broker-buffer", "5x"}, err: badSize("5x")},
		{name: "--broker-buffer negative", args: []string{"--broker", "--broker-buffer", "-1"}, err: badSize("-1")},
		{name: "--broker-buffer fraction", args: []string{"--broker", "--broker-buffer", "1.5M"}, err: badSize("1.5M")},
		{name: "--broker-buffer over 1TiB", args: []string{"--broker", "--broker-buffer", "2048G"}, err: badSize("2048G")},
		{name: "--broker-buffer huge", args: []string{"--broker", "--broker-buffer", "99999999999999999999"}, err: badSize("99999999999999999999")},
		{name: "--broker-buffer without --broker", args: []string{"-l", "--broker-buffer", "1M"}, err: "--broker-buffer needs --broker or --chat. QUITTING."},
		// ---- --status and --progress (gnc's own) ----
		{name: "--status port", args: []string{"-l", "--status", "9100"}, want: func(c *Config) { c.Listen, c.Status = true, "127.0.0.1:9100" }},
		{name: "--status host:port", args: []string{"-l", "--status=0.0.0.0:9100"}, want: func(c *Config) { c.Listen, c.Status = true, "0.0.0.0:9100" }},
		{name: "--status v6", args: []string{"--status", "[::1]:9100", "h", "1"}, want: func(c *Config) { c.Host, c.Port, c.Status = "h", 1, "[::1]:9100" }},
		{name: "--status name", args: []string{"-l", "--status", "localhost:0"}, want: func(c *Config) { c.Listen, c.Status = true, "localhost:0" }},
		{name: "--status prefix", args: []string{"-l", "--stat", "9100"}, want: func(c *Config) { c.Listen, c.Status = true, "127.0.0.1:9100" }},
		{name: "--status empty", args: []string{"-l", "--status", ""}, err: `Invalid --status address "" (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.`},
		{name: "--status no port", args: []string{"-l", "--status", "localhost"}, err: `Invalid --status address "localhost" (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.`},
		{name: "--status no host", args: []string{"-l", "--status", ":9100"}, err: `Invalid --status address ":9100" (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.`},
		{name: "--status big port", args: []string{"-l", "--status", "65536"}, err: `Invalid --status address "65536" (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.`},
		{name: "--status bad port", args: []string{"-l", "--status", "h:x"}, err: `Invalid --status address "h:x" (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.`},
		{name: "--status missing", args: []string{"-l", "--status"}, err: "option '--status' requires an argument"},
		{name: "--progress", args: []string{"--progress", "h", "1"}, want: func(c *Config) { c.Host, c.Port, c.Progress = "h", 1, "auto" }},
		{name: "--progress leaves next arg", args: []string{"-l", "--progress", "9"}, want: func(c *Config) { c.Listen, c.Port, c.Progress = true, 9, "auto" }},
		{name: "--progress=always", args: []string{"--progress=always", "h"}, want: func(c *Config) { c.Host, c.Progress = "h", "always" }},
		{name: "--progress=auto", args: []string{"--progress=auto", "h"}, want: func(c *Config) { c.Host, c.Progress = "h", "auto" }},
		{name: "--progress=never", args: []string{"--progress", "--progress=never", "h"}, want: func(c *Config) { c.Host = "h" }},
		{name: "--progress prefix", args: []string{"--prog=always", "h"}, want: func(c *Config) { c.Host, c.Progress = "h", "always" }},
		{name: "--progress bad", args: []string{"--progress=yes", "h"}, err: `Invalid --progress value "yes" (auto, always or never). QUITTING.`},
		{name: "--progress empty", args: []string{"--progress=", "h"}, err: `Invalid --progress value "" (auto, always or never). QUITTING.`},
		{name: "--broker -u", args: []string{"--broker", "-u"}, want: func(c *Config) { c.Broker, c.Listen, c.UDP = true, true, true }},
		{name: "--chat -u", args: []string{"--chat", "-u", "9"}, want: func(c *Config) { c.Chat, c.Broker, c.Listen, c.UDP, c.Port = true, true, true, true, 9 }},
		{name: "--broker -t", args: []string{"--broker", "-t"}, err: "-t with --broker or --chat is not yet supported by this version of gnc."},
		{name: "--broker -z", args: []string{"--broker", "-z"}, err: msgListenWithZ},
		{name: "--chat -s", args: []string{"--chat", "-s", "1.2.3.4"}, err: msgListenWithS},
		{name: "--broker -e", args: []string{"--broker", "-e", "/bin/cat"}, err: msgBrokerExec},

		// ---- refused for good ----
		{name: "--sctp", args: []string{"--sctp", "h", "1"}, err: "--sctp is not supported: Go's standard library has no SCTP sockets."},
		{name: "-g", args: []string{"-g", "1.2.3.4", "h", "1"}, err: "-g (loose source routing) is not supported: IPv4 source routing is obsolete and dropped by routers."},
		{name: "-G", args: []string{"-G", "8", "h", "1"}, err: "-G (source routing hop pointer) is not supported: IPv4 source routing is obsolete and dropped by routers."},
		{name: "--nsock-engine", args: []string{"--nsock-engine", "epoll", "h", "1"}, err: "--nsock-engine is not supported: gnc has no nsock engines."},
		{name: "refused before pending", args: []string{"--ssl", "--sctp", "h", "1"}, err: "--sctp is not supported: Go's standard library has no SCTP sockets."},
		{name: "refused before combination errors", args: []string{"-l", "-z", "-g", "x"}, err: "-g (loose source routing) is not supported: IPv4 source routing is obsolete and dropped by routers."},
	}

	// ---- proxy client and proxy server options ----
	proxyClient := func(addr, typ, auth, dns string) func(*Config) {
		return func(c *Config) {
			c.Host, c.Port = "h", 1
			c.ProxyAddr, c.ProxyType, c.ProxyAuth, c.ProxyDNS = addr, typ, auth, dns
		}
	}
	proxyServer := func(typ, auth string, port int) func(*Config) {
		return func(c *Config) {
			c.Listen, c.Port, c.ProxyType, c.ProxyAuth = true, port, typ, auth
		}
	}
	cases = append(cases, []parseCase{
		{name: "proxy default type http", args: []string{"--proxy", "p:3128", "h", "1"}, want: proxyClient("p:3128", "http", "", "remote")},
		{name: "proxy socks5 with auth and dns", args: []string{"--proxy=[::1]:1080", "--proxy-type", "socks5", "--proxy-auth", "u:p", "--proxy-dns", "local", "h", "1"}, want: proxyClient("[::1]:1080", "socks5", "u:p", "local")},
		{name: "proxy socks4 dns none", args: []string{"--proxy", "p", "--proxy-type=socks4", "--proxy-dns=none", "h", "1"}, want: proxyClient("p", "socks4", "", "none")},
		{name: "proxy dns both", args: []string{"--proxy", "p", "--proxy-dns", "both", "h", "1"}, want: proxyClient("p", "http", "", "both")},
		{name: "proxy-type without proxy", args: []string{"--proxy-type", "socks5", "h", "1"}, err: "Proxy type (--proxy-type) specified without proxy address (--proxy). QUITTING."},
		{name: "proxy-type unknown", args: []string{"--proxy", "p", "--proxy-type", "ftp", "h", "1"}, err: `Invalid proxy type "ftp". QUITTING.`},
		{name: "proxy-dns unknown", args: []string{"--proxy", "p", "--proxy-dns", "dns", "h", "1"}, err: "Invalid proxy DNS type. QUITTING."},
		{name: "proxy empty", args: []string{"--proxy", "", "h", "1"}, err: "--proxy needs a non-empty value. QUITTING."},
		{name: "proxy with udp", args: []string{"--proxy", "p", "-u", "h", "1"}, err: "UDP mode does not support proxy connections. QUITTING."},
		{name: "proxy with unix", args: []string{"--proxy", "p", "-U", "/tmp/s"}, err: "Proxy connections are not supported with Unix domain sockets (-U). QUITTING."},
		{name: "proxy with listen", args: []string{"-l", "--proxy", "p"}, err: "Invalid option combination: --proxy and -l. QUITTING."},
		{name: "proxy twice", args: []string{"--proxy", "a", "--proxy", "b", "h", "1"}, err: "You can't specify more than one --proxy. QUITTING."},
		{name: "proxy-type twice", args: []string{"--proxy", "a", "--proxy-type", "http", "--proxy-type=http", "h", "1"}, err: "You can't specify more than one --proxy-type. QUITTING."},
		{name: "proxy-auth twice", args: []string{"--proxy", "a", "--proxy-auth", "u:p", "--proxy-auth", "u:q", "h", "1"}, err: "You can't specify more than one --proxy-auth. QUITTING."},
		{name: "proxy-dns twice, last wins", args: []string{"--proxy", "p", "--proxy-dns", "local", "--proxy-dns", "none", "h", "1"}, want: proxyClient("p", "http", "", "none")},
		{name: "proxy chain", args: []string{"--proxy", "a:3128,[::1]:8080,c", "h", "1"}, want: proxyClient("a:3128,[::1]:8080,c", "http", "", "remote")},
		{name: "proxy chain empty hop", args: []string{"--proxy", "a,,c", "h", "1"}, err: `Invalid proxy address "": empty. QUITTING.`},
		{name: "proxy ipv6 bracketed port", args: []string{"--proxy", "[::1]:8080", "h", "1"}, want: proxyClient("[::1]:8080", "http", "", "remote")},
		{name: "proxy ipv6 without brackets", args: []string{"--proxy", "::1", "h", "1"}, err: `Invalid proxy address "::1": an IPv6 proxy address needs brackets, as in [::1]:8080. QUITTING.`},
		{name: "proxy bad port", args: []string{"--proxy", "p:http", "h", "1"}, err: `Invalid proxy address "p:http": invalid port number "http". QUITTING.`},
		{name: "proxy port zero", args: []string{"--proxy", "p:0", "h", "1"}, err: `Invalid proxy address "p:0": invalid port number "0". QUITTING.`},
		{name: "proxy no host", args: []string{"--proxy", ":8080", "h", "1"}, err: `Invalid proxy address ":8080": empty host. QUITTING.`},
		{name: "http proxy server default port", args: []string{"-l", "--proxy-type", "http"}, want: proxyServer("http", "", 3128)},
		{name: "socks5 proxy server default port", args: []string{"-l", "--proxy-type", "socks5", "--proxy-auth", "u:p"}, want: proxyServer("socks5", "u:p", 1080)},
		{name: "http proxy server given port", args: []string{"-l", "--proxy-type", "http", "8080"}, want: proxyServer("http", "", 8080)},
		{name: "http proxy server -p port", args: []string{"-l", "-p", "8080", "--proxy-type", "http"}, want: proxyServer("http", "", 8080)},
		{name: "socks4 proxy server", args: []string{"-l", "--proxy-type", "socks4"}, err: `Invalid proxy type "socks4"; gnc proxy server only supports "http" and "socks5". QUITTING.`},
		{name: "listen proxy-auth without type", args: []string{"-l", "--proxy-auth", "u:p"}, err: "--proxy-auth with -l needs --proxy-type http or socks5. QUITTING."},
		{name: "proxy server udp", args: []string{"-l", "-u", "--proxy-type", "http"}, err: "The proxy server needs TCP: it cannot be used with -u or -U. QUITTING."},
		{name: "proxy server broker", args: []string{"--broker", "--proxy-type", "http"}, err: "Invalid option combination: --proxy-type and --broker/--chat. QUITTING."},
		{name: "proxy-dns with listen", args: []string{"-l", "--proxy-dns", "remote"}, err: "--proxy-dns is for connecting through --proxy: it cannot be used with -l. QUITTING."},
		{name: "proxy-dns with proxy server", args: []string{"-l", "--proxy-type", "http", "--proxy-dns", "local"}, err: "--proxy-dns is for connecting through --proxy: it cannot be used with -l. QUITTING."},
		{name: "proxy-dns without proxy", args: []string{"--proxy-dns", "local", "h", "1"}, err: "--proxy-dns needs --proxy. QUITTING."},
		{name: "proxy-auth without proxy", args: []string{"--proxy-auth", "u:p", "h", "1"}, err: "--proxy-auth needs --proxy (or -l --proxy-type). QUITTING."},
		{name: "scan list through proxy", args: []string{"-z", "--proxy", "p", "h", "1-2"}, err: "-z with a port list through --proxy is not supported by this version of gnc: give one port. QUITTING."},
		{name: "scan list with ssl", args: []string{"-z", "--ssl", "h", "1,2"}, err: "-z with a port list and --ssl is not supported by this version of gnc: give one port. QUITTING."},
		{name: "one-port -z through proxy", args: []string{"-z", "--proxy", "p", "h", "1"}, want: func(c *Config) {
			c.ZeroIO, c.Host, c.Port, c.ProxyAddr, c.ProxyType = true, "h", 1, "p", "http"
		}},
		{name: "proxy server with -o", args: []string{"-l", "--proxy-type", "http", "-o", "f"}, err: "Invalid option combination: -l --proxy-type and -o (the proxy server does not use stdin or stdout). QUITTING."},
		{name: "proxy server with -q", args: []string{"-l", "--proxy-type", "socks5", "-q", "1"}, err: "Invalid option combination: -l --proxy-type and -q (the proxy server does not use stdin or stdout). QUITTING."},
		{name: "proxy server with --recv-only", args: []string{"-l", "--proxy-type", "http", "--recv-only"}, err: "Invalid option combination: -l --proxy-type and --recv-only (the proxy server does not use stdin or stdout). QUITTING."},
		{name: "proxy server with -k -m -i -w", args: []string{"-lk", "--proxy-type", "socks5", "-m", "5", "-i", "2", "-w", "3"}, want: func(c *Config) {
			c.Listen, c.KeepOpen, c.Port, c.ProxyType, c.MaxConns = true, true, 1080, "socks5", 5
			c.IdleTimeout, c.ConnectTimeout = 2*time.Second, 3*time.Second
		}},

		// ---- access control (ncat-behaviour.md §10) ----
		{name: "--allow", args: []string{"-l", "--allow", "127.0.0.1"}, want: listenACL(func(c *Config) { c.Allow = []string{"127.0.0.1"} })},
		{name: "--allow list and repeat", args: []string{"-lk", "--allow", "10.0.0.0/8,,::1", "--allow=192.168.0-255.1-254,", "-n"},
			want: listenACL(func(c *Config) {
				c.KeepOpen, c.NoDNS = true, true
				c.Allow = []string{"10.0.0.0/8", "::1", "192.168.0-255.1-254"}
			})},
		{name: "--deny", args: []string{"-l", "--deny", "127.0.0.2", "--deny", "127.0.0.-1,fe80::/10"}, want: listenACL(func(c *Config) { c.Deny = []string{"127.0.0.2", "127.0.0.-1", "fe80::/10"} })},
		{name: "--allowfile --denyfile", args: []string{"--broker", "--allowfile", "a", "--denyfile=d", "--allowfile", "b"}, want: listenACL(func(c *Config) {
			c.Broker, c.AllowFiles, c.DenyFiles = true, []string{"a", "b"}, []string{"d"}
		})},
		{name: "--deny name", args: []string{"-lu", "--deny", "localhost/8"}, want: listenACL(func(c *Config) { c.UDP, c.Deny = true, []string{"localhost/8"} })},
		{name: "--allow -n name", args: []string{"-l", "--allow", "localhost", "-n"}, err: `Error resolving name "localhost": Name or service not known (-n allows numeric addresses only) QUITTING.`},
		{name: "--deny -n range name", args: []string{"-ln", "--deny", "127.0.0.5-3"}, err: `Error resolving name "127.0.0.5-3": Name or service not known (-n allows numeric addresses only) QUITTING.`},
		{name: "--allow bad netmask", args: []string{"-l", "--allow", "10.0.0.0/33"}, err: `Illegal netmask in "10.0.0.0/33". Must be smaller than address bit length. QUITTING.`},
		{name: "--deny bad v6 netmask", args: []string{"-l", "--deny", "::1/129"}, err: `Illegal netmask in "::1/129". Must be smaller than address bit length. QUITTING.`},
		{name: "--allow netmask syntax", args: []string{"-l", "--allow", "127.0.0.1/x"}, err: `Error parsing netmask in "127.0.0.1/x". QUITTING.`},
		{name: "--allow empty", args: []string{"-l", "--allow", ","}, err: "--allow needs at least one host specification. QUITTING."},
		{name: "--denyfile empty", args: []string{"-l", "--denyfile", ""}, err: "--denyfile needs a non-empty value. QUITTING."},
		{name: "--allow connect", args: []string{"--allow", "127.0.0.1", "h", "1"}, err: "Invalid option combination: allow/deny with connect. QUITTING."},
		{name: "--denyfile connect", args: []string{"--denyfile", "f", "h", "1"}, err: "Invalid option combination: allow/deny with connect. QUITTING."},
		{name: "--allow unix", args: []string{"-lU", "--allow", "127.0.0.1", "/tmp/s"}, err: "--allow, --deny, --allowfile and --denyfile cannot be used with Unix domain sockets (-U): their clients have no IP address. QUITTING."},
		{name: "--allowfile missing value", args: []string{"-l", "--allowfile"}, err: "option '--allowfile' requires an argument"}}...)

	// ---- exec: -e, -c, --lua-exec (messages checked against ncat 7.93) ----
	cases = append(cases, []parseCase{
		{name: "-e", args: []string{"-e", "/bin/cat", "h", "1"}, want: func(c *Config) { c.Exec, c.Host, c.Port = "/bin/cat", "h", 1 }},
		{name: "--exec", args: []string{"--exec", "/usr/bin/tr a-z A-Z", "h", "1"}, want: func(c *Config) { c.Exec, c.Host, c.Port = "/usr/bin/tr a-z A-Z", "h", 1 }},
		{name: "--exec=", args: []string{"--exec=/bin/cat -n", "h"}, want: func(c *Config) { c.Exec, c.Host = "/bin/cat -n", "h" }},
		{name: "-e attached", args: []string{"-e/bin/cat", "h"}, want: func(c *Config) { c.Exec, c.Host = "/bin/cat", "h" }},
		{name: "--exe prefix", args: []string{"--exe", "/bin/cat", "h"}, want: func(c *Config) { c.Exec, c.Host = "/bin/cat", "h" }},
		{name: "-c", args: []string{"-c", "echo hi", "h", "1"}, want: func(c *Config) { c.ShExec, c.Host, c.Port = "echo hi", "h", 1 }},
		{name: "--sh-exec=", args: []string{"--sh-exec=echo hi", "h", "1"}, want: func(c *Config) { c.ShExec, c.Host, c.Port = "echo hi", "h", 1 }},
		{name: "--lua-exec", args: []string{"--lua-exec", "x.lua", "h", "1"}, want: func(c *Config) { c.LuaExec, c.Host, c.Port = "x.lua", "h", 1 }},
		{name: "-lk -e", args: []string{"-lk", "-e", "/bin/cat", "9000"}, want: func(c *Config) { c.Listen, c.KeepOpen, c.Exec, c.Port = true, true, "/bin/cat", 9000 }},
		{name: "-ulk -e", args: []string{"-ulk", "-e", "/bin/cat"}, want: func(c *Config) { c.Listen, c.KeepOpen, c.UDP, c.Exec = true, true, true, "/bin/cat" }},
		{name: "-l -e -C -o", args: []string{"-l", "-C", "-o", "f", "-e", "/bin/cat"}, want: func(c *Config) { c.Listen, c.CRLF, c.OutputFile, c.Exec = true, true, "f", "/bin/cat" }},
		{name: "-e --send-only", args: []string{"-e", "/bin/cat", "--send-only", "h"}, want: func(c *Config) { c.Exec, c.SendOnly, c.Host = "/bin/cat", true, "h" }},
		{name: "-e -q -1 (the default)", args: []string{"-e", "/bin/cat", "-q", "-1", "h"}, want: func(c *Config) { c.Exec, c.Host = "/bin/cat", "h" }},
		{name: "-e -e", args: []string{"-e", "/bin/cat", "-e", "/bin/cat", "h", "1"}, err: msgOneExec},
		{name: "-e -c", args: []string{"-e", "/bin/cat", "-c", "cat", "h", "1"}, err: msgOneExec},
		{name: "-c --lua-exec", args: []string{"-c", "cat", "--lua-exec", "x.lua", "h"}, err: msgOneExec},
		{name: "-e --lua-exec before -z -t", args: []string{"-z", "-t", "-e", "/bin/cat", "--lua-exec", "x", "h"}, err: msgOneExec},
		{name: "-e empty", args: []string{"-e", "", "h"}, err: "-e needs a non-empty value. QUITTING."},
		{name: "-c blank", args: []string{"-c", "  ", "h"}, err: "-c needs a non-empty value. QUITTING."},
		{name: "--lua-exec empty", args: []string{"--lua-exec=", "h"}, err: "--lua-exec needs a non-empty value. QUITTING."},
		{name: "-e -z", args: []string{"-e", "/bin/cat", "-z", "h", "1"}, err: "Command execution can't be done along with option -z. QUITTING."},
		{name: "--lua-exec -z", args: []string{"--lua-exec", "x", "-z", "h", "1"}, err: "Command execution can't be done along with option -z. QUITTING."},
		{name: "-l -z -e: listen message first", args: []string{"-l", "-z", "-e", "/bin/cat"}, err: msgListenWithZ},
		{name: "-z -t -e: -t message first", args: []string{"-z", "-t", "-e", "/bin/cat", "h", "1"}, err: "Invalid option combination: -z and -t. QUITTING."},
		{name: "--chat -c", args: []string{"--chat", "-c", "cat"}, err: msgBrokerExec},
		{name: "--broker --lua-exec", args: []string{"--broker", "--lua-exec", "x.lua"}, err: msgBrokerExec},
		{name: "-e -q", args: []string{"-e", "/bin/cat", "-q", "1", "h"}, err: "-q cannot be used with -e, -c or --lua-exec: the program, not stdin, feeds the connection. QUITTING."},
		{name: "-l --proxy-type -e", args: []string{"-l", "--proxy-type", "http", "-e", "/bin/cat"}, err: "Invalid option combination: --proxy-type and -e. QUITTING."},
		{name: "-U -u -l -k -e", args: []string{"-Uulk", "-e", "/bin/cat", "/tmp/s"}, err: "-k with -e, -c or --lua-exec over Unix datagram sockets is not supported by gnc: use -U without -u, or UDP. QUITTING."},
		{name: "-U -u -l -e", args: []string{"-Uul", "-e", "/bin/cat", "/tmp/s"}, want: func(c *Config) {
			c.Unix, c.UDP, c.Listen, c.Exec, c.Host, c.Port = true, true, true, "/bin/cat", "/tmp/s", 0
		}},
		{name: "--lua-exec-internal", args: []string{"--lua-exec-internal", "x.lua"}, want: func(c *Config) { c.LuaExecInternal = "x.lua" }},
		{name: "--lua-exec-internal=", args: []string{"--lua-exec-internal=x.lua"}, want: func(c *Config) { c.LuaExecInternal = "x.lua" }},
		{name: "--lua-exec-internal with a host", args: []string{"--lua-exec-internal", "x.lua", "h", "1"}, err: msgLuaInternal},
		{name: "--lua-exec-internal with -l", args: []string{"-l", "--lua-exec-internal", "x.lua"}, err: msgLuaInternal},
		{name: "--lua-exec-internal empty", args: []string{"--lua-exec-internal", ""}, err: "--lua-exec-internal needs a non-empty value. QUITTING."},
		{name: "missing --lua-exec", args: []string{"--lua-exec"}, err: "option '--lua-exec' requires an argument"},
	}...)

	// ---- TLS (--ssl*) ----
	tlsConn := func(t TLSConfig) func(*Config) {
		return func(c *Config) { c.Host, c.Port, c.TLS = "h", 1, t }
	}
	tlsListen := func(t TLSConfig) func(*Config) {
		return func(c *Config) { c.Listen, c.TLS = true, t }
	}
	gcm, _ := tlsx.ParseCiphers("ECDHE+AESGCM")
	cases = append(cases, []parseCase{
		{name: "--ssl", args: []string{"--ssl", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true})},
		{name: "--ssl listen", args: []string{"-l", "--ssl"}, want: tlsListen(TLSConfig{Enabled: true})},
		{name: "--ssl-verify implies --ssl", args: []string{"--ssl-verify", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, Verify: true})},
		{name: "--ssl-v prefix", args: []string{"--ssl-v", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, Verify: true})},
		{name: "--ssl-trustfile implies verify", args: []string{"--ssl-trustfile", "ca.pem", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, Verify: true, TrustFile: "ca.pem"})},
		{name: "--ssl-trustfile twice", args: []string{"--ssl-trustfile", "a", "--ssl-trustfile", "b", "h", "1"}, err: "The --ssl-trustfile option may be given only once. QUITTING."},
		{name: "--ssl-cert and key imply --ssl", args: []string{"--ssl-cert", "c.pem", "--ssl-key=k.pem", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, CertFile: "c.pem", KeyFile: "k.pem"})},
		{name: "--ssl-cert alone", args: []string{"--ssl-cert", "c.pem", "h", "1"}, err: "The --ssl-key and --ssl-cert options must be used together. QUITTING."},
		{name: "--ssl-key alone", args: []string{"-l", "--ssl-key", "k.pem"}, err: "The --ssl-key and --ssl-cert options must be used together. QUITTING."},
		{name: "--ssl-cert empty", args: []string{"--ssl-cert", "", "h", "1"}, err: "--ssl-cert needs a non-empty value. QUITTING."},
		{name: "--ssl-ciphers", args: []string{"--ssl", "--ssl-ciphers", "ECDHE+AESGCM", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, Ciphers: "ECDHE+AESGCM", CipherSuites: gcm})},
		{name: "--ssl-ciphers unknown", args: []string{"--ssl", "--ssl-ciphers", "FOO", "h", "1"}, err: `Unable to set the --ssl-ciphers list: unknown cipher alias "FOO". QUITTING.`},
		{name: "--ssl-ciphers not in Go", args: []string{"--ssl", "--ssl-ciphers", "DHE-RSA-AES256-SHA", "h", "1"}, err: `Unable to set the --ssl-ciphers list: cipher "DHE-RSA-AES256-SHA" is unknown or not available in Go's TLS. QUITTING.`},
		{name: "--ssl-ciphers without --ssl", args: []string{"--ssl-ciphers", "ALL", "h", "1"}, err: "--ssl-ciphers needs --ssl. QUITTING."},
		{name: "--ssl-servername", args: []string{"--ssl", "--ssl-servername", "n.test", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, ServerName: "n.test"})},
		{name: "--ssl-servername without --ssl", args: []string{"--ssl-servername", "n", "h", "1"}, err: "--ssl-servername needs --ssl. QUITTING."},
		{name: "--ssl-servername listen", args: []string{"-l", "--ssl", "--ssl-servername", "n"}, err: "--ssl-servername is for connect mode: a listener has no server name to ask for. QUITTING."},
		{name: "--ssl-alpn", args: []string{"--ssl", "--ssl-alpn", "h2,http/1.1", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, ALPN: []string{"h2", "http/1.1"}})},
		{name: "--ssl-alpn listen", args: []string{"-l", "--ssl", "--ssl-alpn", "h2"}, want: tlsListen(TLSConfig{Enabled: true, ALPN: []string{"h2"}})},
		{name: "--ssl-alpn empty item", args: []string{"--ssl", "--ssl-alpn", "h2,", "h", "1"}, err: `Invalid --ssl-alpn list "h2,": each protocol name is 1 to 255 bytes, separated by commas. QUITTING.`},
		{name: "--ssl-alpn without --ssl", args: []string{"--ssl-alpn", "h2", "h", "1"}, err: "--ssl-alpn needs --ssl. QUITTING."},
		{name: "--ssl-min/max-version", args: []string{"--ssl", "--ssl-min-version", "1.2", "--ssl-max-version=TLSv1.3", "h", "1"}, want: tlsConn(TLSConfig{Enabled: true, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13})},
		{name: "--ssl-min-version bad", args: []string{"--ssl", "--ssl-min-version", "1.4", "h", "1"}, err: `Invalid --ssl-min-version "1.4" (use 1.0, 1.1, 1.2 or 1.3). QUITTING.`},
		{name: "--ssl-min above max", args: []string{"--ssl", "--ssl-min-version", "1.3", "--ssl-max-version", "1.1", "h", "1"}, err: "--ssl-min-version 1.3 is above --ssl-max-version 1.1. QUITTING."},
		{name: "--ssl-max-version without --ssl", args: []string{"--ssl-max-version", "1.2", "h", "1"}, err: "--ssl-min-version and --ssl-max-version need --ssl. QUITTING."},
		{name: "--ssl -U", args: []string{"--ssl", "-U", "/tmp/s"}, err: "SSL option not supported when using Unix domain sockets. QUITTING."},
		{name: "--ssl-verify -lU", args: []string{"--ssl-verify", "-lU", "/tmp/s"}, err: "SSL option not supported when using Unix domain sockets. QUITTING."},
		{name: "--ssl -u", args: []string{"--ssl", "-u", "h", "1"}, want: func(c *Config) { c.Host, c.Port, c.UDP, c.TLS = "h", 1, true, TLSConfig{Enabled: true} }},
		{name: "--ssl -u min 1.3", args: []string{"--ssl", "-u", "--ssl-min-version", "1.3", "h", "1"}, err: "DTLS (--ssl -u) is version 1.2 only: --ssl-min-version and --ssl-max-version must allow 1.2. QUITTING."},
		{name: "--ssl -u max 1.1", args: []string{"--ssl", "-ul", "--ssl-max-version", "1.1"}, err: "DTLS (--ssl -u) is version 1.2 only: --ssl-min-version and --ssl-max-version must allow 1.2. QUITTING."},
		{name: "--ssl -u --broker", args: []string{"--ssl", "-u", "--broker"}, err: "--ssl with -u and --broker/--chat (DTLS broker) is not supported by this version of gnc."},
	}...)

	// ---- not yet supported: each takes its argument, so the host and
	// port after it are not mistaken for extra positionals ----
	pending := []struct {
		args []string
		what string
	}{
		{[]string{"--vsock"}, "--vsock"},
	}
	for _, p := range pending {
		cases = append(cases, parseCase{
			name: "pending " + strings.Join(p.args, " "),
			args: append(slices.Clone(p.args), "h", "1"),
			err:  notYet(p.what),
		})
	}
	return cases
}

func TestParse(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range parseCases() {
		if seen[tc.name] {
			t.Fatalf("duplicate row name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			problem := checkParse(tc)
			switch {
			case tc.bug != "" && problem != "":
				t.Skipf("BUG: %s\n%s", tc.bug, problem)
			case tc.bug != "":
				t.Errorf("row is marked BUG (%s) but passes now: drop the mark", tc.bug)
			case problem != "":
				t.Error(problem)
			}
		})
	}
}

// checkParse runs Parse on tc.args and describes any difference from the
// row's expectation; "" means it matches.
func checkParse(tc parseCase) string {
	args := slices.Clone(tc.args)
	got, err := Parse(args)
	if !slices.Equal(args, tc.args) {
		return fmt.Sprintf("Parse(%q) modified its argument slice to %q", tc.args, args)
	}
	if tc.err != "" {
		if err == nil {
			return fmt.Sprintf("Parse(%q) = %+v, nil; want error %q", tc.args, got, tc.err)
		}
		var ue *UsageError
		if !errors.As(err, &ue) {
			return fmt.Sprintf("Parse(%q) error %q is %T, want *UsageError", tc.args, err, err)
		}
		if err.Error() != tc.err {
			return fmt.Sprintf("Parse(%q) error:\n got: %s\nwant: %s", tc.args, err, tc.err)
		}
		return ""
	}
	if err != nil {
		return fmt.Sprintf("Parse(%q) error: %v", tc.args, err)
	}
	want := DefaultConfig()
	if tc.want != nil {
		tc.want(&want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Sprintf("Parse(%q) mismatch (-want +got):\n%s", tc.args, diff)
	}
	return ""
}

// TestParseUnsupportedTables checks every entry of pendingOptions and
// refusedOptions in every spelling, so an option added to either table is
// refused by name even before it gets its own row in TestParse.
func TestParseUnsupportedTables(t *testing.T) {
	// Options whose refusal names another option, as known bugs.
	unnamedOK := map[string]string{}
	type opt struct{ name, short, arg, text string }
	var opts []opt
	for _, o := range pendingOptions {
		opts = append(opts, opt{o.name, o.short, o.arg, notYet(o.what)})
	}
	for _, o := range refusedOptions {
		opts = append(opts, opt{o.name, o.short, o.arg, o.why})
	}
	if len(opts) == 0 {
		t.Skip("no pending or refused options left")
	}
	for _, o := range opts {
		var forms [][]string
		switch {
		case o.name != "" && o.arg == "":
			forms = append(forms, []string{"--" + o.name})
		case o.name != "":
			forms = append(forms, []string{"--" + o.name, "value"}, []string{"--" + o.name + "=value"})
		}
		switch {
		case o.short != "" && o.arg == "":
			forms = append(forms, []string{"-" + o.short}, []string{"-v" + o.short})
		case o.short != "":
			forms = append(forms, []string{"-" + o.short, "value"}, []string{"-" + o.short + "value"}, []string{"-v" + o.short, "value"})
		}
		for _, form := range forms {
			args := append(form, "host", "1")
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				_, err := Parse(args)
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("Parse(%q) error = %v (%T), want *UsageError", args, err, err)
				}
				if ue.Msg != o.text {
					t.Errorf("Parse(%q) error:\n got: %s\nwant: %s", args, ue.Msg, o.text)
				}
				named := o.name != "" && strings.Contains(ue.Msg, o.name) ||
					o.short != "" && strings.Contains(ue.Msg, "-"+o.short)
				if !named && unnamedOK[o.name] != "" {
					t.Skipf("BUG: %s: %q", unnamedOK[o.name], ue.Msg)
				}
				if !named {
					t.Errorf("Parse(%q) error %q does not name the option", args, ue.Msg)
				}
				if !strings.Contains(ue.Msg, "not supported") && !strings.Contains(ue.Msg, "not yet supported") {
					t.Errorf("Parse(%q) error %q does not say the option is unsupported", args, ue.Msg)
				}
			})
		}
	}
}

// TestParseRowsCoverOptions makes sure every option the flag set knows has
// TestParse rows for its short and its long form, so a new option cannot
// slip in without a test.
func TestParseRowsCoverOptions(t *testing.T) {
	used := map[string]bool{}
	for _, tc := range parseCases() {
		for _, a := range tc.args {
			switch {
			case strings.HasPrefix(a, "--"):
				name, _, _ := strings.Cut(a[2:], "=")
				used["--"+name] = true
			case strings.HasPrefix(a, "-") && len(a) > 1:
				for _, r := range a[1:] {
					used["-"+string(r)] = true
				}
			}
		}
	}
	var raw rawOptions
	var missing []string
	newFlagSet(&raw).VisitAll(func(f *pflag.Flag) {
		if f.Shorthand != "" && !used["-"+f.Shorthand] {
			missing = append(missing, "-"+f.Shorthand)
		}
		// "_" names are pflag's stand-ins for the short-only -z and -q.
		if !strings.HasPrefix(f.Name, "_") && !used["--"+f.Name] {
			missing = append(missing, "--"+f.Name)
		}
	})
	if len(missing) > 0 {
		t.Errorf("options without a TestParse row: %v", missing)
	}
}

// listenACL is a listen-mode Config changed by f.
func listenACL(f func(*Config)) func(*Config) {
	return func(c *Config) {
		c.Listen = true
		f(c)
	}
}
