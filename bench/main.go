//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if ok, err := runFloor(os.Args[1:], os.Stdout); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	gnc     string         // prebuilt gnc; empty: build ./cmd/gnc
	size    int64          // bytes per bulk transfer
	conns   int            // connections per connection-rate run
	runs    int            // runs per figure; the best is kept
	only    *regexp.Regexp // selects "case/tool"; nil: all
	timeout time.Duration  // per run; 0: from size or conns
	args    []string

	brokerTime time.Duration // per broker fan-out run
	stallTime  time.Duration // per stalled-member run
	members    int           // idle members in the broker scale run
	tlsClient  string        // the handshake row's client: "lean" or "go"
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.gnc, "gnc", "", "gnc binary to measure (default: go build ./cmd/gnc)")
	size := fs.String("size", "4GiB", "bytes per bulk transfer (suffix KiB, MiB or GiB)")
	fs.IntVar(&cfg.conns, "conns", 5000, "connections per connection-rate run")
	fs.IntVar(&cfg.runs, "runs", 1, "runs per figure; the fastest is kept")
	only := fs.String("only", "", "run only case/tool pairs matching this regexp, e.g. 'both|conn', '/gnc$', '/(ncat|floor)$'")
	fs.DurationVar(&cfg.timeout, "timeout", 0, "limit per run (default: from -size or -conns)")
	fs.DurationVar(&cfg.brokerTime, "broker-time", 5*time.Second, "sending time per broker fan-out run")
	fs.DurationVar(&cfg.stallTime, "stall-time", 10*time.Second, "sending time per stalled-member run")
	fs.IntVar(&cfg.members, "members", fdLimit()-50, "idle members in the broker scale run")
	fs.StringVar(&cfg.tlsClient, "tls-client", "lean", "the tls-handshake row's client: lean (the harness's minimal TLS 1.3 client) or go (crypto/tls)")
	quick := fs.Bool("quick", false, "smoke run: -size 64MiB -conns 500 -broker-time 1s -stall-time 2s -members 2000 unless given")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]\n\ncases: ")
		for _, c := range bulkCases {
			fmt.Fprintf(stderr, "%s ", c.id)
		}
		fmt.Fprintf(stderr, "%s %s %s %s %s %s ", kernelCase.id, connCases[0].id, connCases[1].id, scanCase.id, proxyCases[0].id, proxyCases[1].id)
		for _, c := range fanoutCases {
			fmt.Fprintf(stderr, "%s ", c.id)
		}
		fmt.Fprintf(stderr, "stall scale tls-recv tls-send tls-both tls-handshake\n"+
			"tools: gnc ncat socat nc.openbsd (go for kernel; gnc and ncat for the broker, proxy and TLS; "+
			"floor, the least any program can do, for conn-1, conn-8, scan, proxy-1 and proxy-8)\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick && !set["size"] {
		*size = "64MiB"
	}
	if *quick && !set["conns"] {
		cfg.conns = 500
	}
	if *quick && !set["broker-time"] {
		cfg.brokerTime = time.Second
	}
	if *quick && !set["stall-time"] {
		cfg.stallTime = 2 * time.Second
	}
	if *quick && !set["members"] {
		cfg.members = 2000
	}
	var err error
	if cfg.size, err = parseSize(*size); err != nil {
		return cfg, fmt.Errorf("-size: %w", err)
	}
	if *only != "" {
		if cfg.only, err = regexp.Compile(*only); err != nil {
			return cfg, fmt.Errorf("-only: %w", err)
		}
	}
	if cfg.conns < 1 || cfg.runs < 1 || cfg.members < 1 {
		return cfg, errors.New("-conns, -runs and -members must be at least 1")
	}
	if cfg.brokerTime <= 0 || cfg.stallTime <= 0 {
		return cfg, errors.New("-broker-time and -stall-time must be positive")
	}
	if cfg.tlsClient != "lean" && cfg.tlsClient != "go" {
		return cfg, fmt.Errorf("-tls-client: %q is neither lean nor go", cfg.tlsClient)
	}
	return cfg, nil
}

// parseSize parses a byte count such as 4GiB, 64MiB, 512KiB or 1000.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// sizeText shows a byte count in the largest binary unit that divides it.
func sizeText(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.mult == 0 {
			return fmt.Sprintf("%d %s", n/u.mult, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == scaleClientCmd {
		return scaleClient(ctx, args[1:], stdout)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gnc-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	b := &bench{cfg: cfg, load: loadAverage(), dir: dir, stderr: stderr}
	b.tools = findTools(ctx, cfg.gnc, dir)
	for _, t := range b.tools {
		if t.path == "" {
			b.logf("%s skipped: %s", t.name, t.missing)
		}
	}
	tput, cpu, err := b.bulk(ctx)
	if err != nil {
		return err
	}
	conn, connCPU := b.connRate(ctx)
	scan := b.scanRate(ctx)
	proxy, proxyCPU := b.proxyRate(ctx)
	broker := b.brokerTables(ctx)
	tlsTabs := b.tlsTables(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	b.report(ctx, stdout, append(append([]*table{tput, cpu, conn, connCPU, scan, proxy, proxyCPU}, broker...), tlsTabs...))
	return nil
}
