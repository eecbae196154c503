package cli

import (
	"net"
	"strconv"

	"gnc/internal/acl"
	"strings"
	"time"
)

// The option values below check each occurrence as it is parsed, as
// ncat does, so "-w 100 -w 1" fails on the first and an empty value is an
// error rather than "not given".

// timeValue is an ncat time option (-w, -i, -d).
type timeValue struct {
	what string // "-w timeout"
	dst  *time.Duration
}

func (v timeValue) Set(s string) error {
	d, err := parseTime(v.what, s)
	if err != nil {
		return err
	}
	*v.dst = d
	return nil
}
func (v timeValue) String() string { return "" }
func (v timeValue) Type() string   { return "time" }

// quitValue is -q, with Debian nc's 0 and negative forms.
type quitValue struct{ dst *time.Duration }

func (v quitValue) Set(s string) error {
	d, err := parseQuitTime(s)
	if err != nil {
		return err
	}
	*v.dst = d
	return nil
}
func (v quitValue) String() string { return "" }
func (v quitValue) Type() string   { return "time" }

// portValue is -p: a source port in connect mode, the port with -l.
type portValue struct{ dst *int }

func (v portValue) Set(s string) error {
	if !isDigits(s) {
		return usageErrorf("Invalid source port number %q. QUITTING.", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 65535 {
		return usageErrorf("Invalid source port %s. QUITTING.", s)
	}
	*v.dst = n
	return nil
}
func (v portValue) String() string { return "" }
func (v portValue) Type() string   { return "port" }

// countValue is -m.
type countValue struct{ dst *int }

func (v countValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || !isDigits(s) {
		return usageErrorf("Invalid maximum number of connections %q (must be a non-negative integer). QUITTING.", s)
	}
	*v.dst = n
	return nil
}
func (v countValue) String() string { return "" }
func (v countValue) Type() string   { return "count-limit" }

// textValue is a string option whose value may not be empty.
type textValue struct {
	what string
	dst  *string
}

func (v textValue) Set(s string) error {
	if s == "" {
		return usageErrorf("%s needs a non-empty value. QUITTING.", v.what)
	}
	*v.dst = s
	return nil
}
func (v textValue) String() string { return "" }
func (v textValue) Type() string   { return "string" }

// specListValue is --allow or --deny: comma-separated host specs, added
// to the list at each occurrence. Their syntax is checked once -n is known,
// by checkAccess.
type specListValue struct {
	what string // "--allow"
	dst  *[]string
}

func (v specListValue) Set(s string) error {
	specs := acl.SplitList(s)
	if len(specs) == 0 {
		return usageErrorf("%s needs at least one host specification. QUITTING.", v.what)
	}
	*v.dst = append(*v.dst, specs...)
	return nil
}
func (v specListValue) String() string { return "" }
func (v specListValue) Type() string   { return "hosts" }

// textListValue is a repeatable option whose values may not be empty.
type textListValue struct {
	what string
	dst  *[]string
}

func (v textListValue) Set(s string) error {
	if s == "" {
		return usageErrorf("%s needs a non-empty value. QUITTING.", v.what)
	}
	*v.dst = append(*v.dst, s)
	return nil
}
func (v textListValue) String() string { return "" }
func (v textListValue) Type() string   { return "file" }

// sizeValue is a byte count: digits with an optional binary unit, K, M or
// G (also KB/KiB, MB/MiB, GB/GiB, any case), e.g. 65536, 64KiB, 1MiB.
type sizeValue struct {
	what string // "--broker-buffer"
	dst  *int
}

// maxSize is the largest size option gnc takes: 1 TiB.
const maxSize = 1 << 40

func (v sizeValue) Set(s string) error {
	n, ok := parseSize(s)
	if !ok {
		return usageErrorf("Invalid %s size %q (a number of bytes from 1 to 1TiB, optionally with K, M or G, e.g. 65536, 64KiB, 1MiB). QUITTING.", v.what, s)
	}
	*v.dst = n
	return nil
}
func (v sizeValue) String() string { return "" }
func (v sizeValue) Type() string   { return "size" }

func parseSize(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 13 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	var shift uint
	switch strings.ToLower(s[i:]) {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, false
	}
	if n < 1 || n > maxSize>>shift {
		return 0, false
	}
	return int(n << shift), true
}

// execValue is -e, -c or --lua-exec: a non-empty command or file, and only
// one of the three, once (ncat refuses the second as it parses it).
type execValue struct {
	what  string
	dst   *string
	count *int
}

func (v execValue) Set(s string) error {
	*v.count++
	if *v.count > 1 {
		return usageErrorf("Only one of --exec, --sh-exec, and --lua-exec is allowed. QUITTING.")
	}
	if strings.TrimSpace(s) == "" {
		return usageErrorf("%s needs a non-empty value. QUITTING.", v.what)
	}
	*v.dst = s
	return nil
}
func (v execValue) String() string { return "" }
func (v execValue) Type() string   { return "command" }

// statusValue is --status ADDR: PORT (bound on 127.0.0.1), HOST:PORT or
// [IPv6]:PORT, kept as host:port.
type statusValue struct{ dst *string }

func (v statusValue) Set(s string) error {
	bad := usageErrorf("Invalid --status address %q (PORT, HOST:PORT or [IPv6]:PORT). QUITTING.", s)
	host, port := "127.0.0.1", s
	if !isDigits(s) {
		h, p, err := net.SplitHostPort(s)
		if err != nil || h == "" {
			return bad
		}
		host, port = h, p
	}
	if n, err := strconv.Atoi(port); err != nil || !isDigits(port) || n > 65535 {
		return bad
	}
	*v.dst = net.JoinHostPort(host, port)
	return nil
}
func (v statusValue) String() string { return "" }
func (v statusValue) Type() string   { return "addr" }

// progressValue is --progress[=auto|always|never].
type progressValue struct{ dst *string }

func (v progressValue) Set(s string) error {
	switch s {
	case "auto", "always":
		*v.dst = s
	case "never":
		*v.dst = ""
	default:
		return usageErrorf("Invalid --progress value %q (auto, always or never). QUITTING.", s)
	}
	return nil
}
func (v progressValue) String() string { return "" }
func (v progressValue) Type() string   { return "mode" }
