//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// bench runs the selected cases for every tool and collects the tables.
type bench struct {
	cfg      config
	load     string // load average when the run started
	dir      string // temporary files
	tools    []tool // gnc first
	stderr   io.Writer
	failures []string // "case/tool: error"
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, format+"\n", args...)
}

func (b *bench) selected(id, toolName string) bool {
	return b.cfg.only == nil || b.cfg.only.MatchString(id+"/"+toolName)
}

func (b *bench) toolNames() []string {
	var names []string
	for _, t := range b.tools {
		names = append(names, t.name)
	}
	return names
}

// fail records a failed run for the report.
func (b *bench) fail(id, toolName string, err error) cell {
	b.logf("%s/%s: %v", id, toolName, err)
	b.failures = append(b.failures, fmt.Sprintf("%s/%s: %v", id, toolName, err))
	return cell{note: "failed"}
}

// absent is the cell of a tool that is not run.
func absent(t *tool) cell {
	if t.name == "gnc" {
		return cell{note: "pending"}
	}
	return cell{note: "—"}
}

// bulk fills the throughput and CPU tables and measures the kernel
// reference, a note under the throughput table.
func (b *bench) bulk(ctx context.Context) (tput, cpu *table, err error) {
	size := b.cfg.size
	gib := float64(size) / (1 << 30)
	tput = &table{
		title:  fmt.Sprintf("Bulk throughput, one TCP connection, %s (GiB/s, higher is better; × = gnc ÷ peer)", sizeText(size)),
		tools:  b.toolNames(),
		format: func(v float64) string { return fmt.Sprintf("%.2f", v) },
	}
	cpu = &table{
		title:  "CPU seconds per GiB, tool processes only (lower is better; × = gnc ÷ peer)",
		tools:  b.toolNames(),
		format: func(v float64) string { return fmt.Sprintf("%.3f", v) },
	}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = 30*time.Second + time.Duration(size/(32<<20))*time.Second
	}

	src := filepath.Join(b.dir, "source")
	if b.needSource() {
		b.logf("writing a %s source file in %s", sizeText(size), b.dir)
		if err := makeSource(src, size); err != nil {
			return nil, nil, fmt.Errorf("source file: %w", err)
		}
	}

	for _, c := range bulkCases {
		tr := row{name: c.name, cells: map[string]cell{}, goals: c.goals}
		cr := row{name: c.name, cells: map[string]cell{}, goals: []goal{{peer: everyPeer, ratio: 1, lower: true}}}
		for i := range b.tools {
			t := &b.tools[i]
			if !b.selected(c.id, t.name) || ctx.Err() != nil {
				continue
			}
			if t.path == "" {
				tr.cells[t.name], cr.cells[t.name] = absent(t), absent(t)
				continue
			}
			r, err := b.bestBulk(ctx, c, t, src, timeout)
			if err != nil {
				tr.cells[t.name] = b.fail(c.id, t.name, err)
				cr.cells[t.name] = tr.cells[t.name]
				continue
			}
			rate, perGiB := gib/r.elapsed.Seconds(), r.cpu.Seconds()/gib
			b.logf("%s/%s: %.2f GiB/s, %.3f CPU s/GiB", c.id, t.name, rate, perGiB)
			tr.cells[t.name] = cell{value: rate, ok: true}
			cr.cells[t.name] = cell{value: perGiB, ok: true}
		}
		if len(tr.cells) > 0 {
			tput.add(tr)
			cpu.add(cr)
		}
	}

	if b.selected(kernelCase.id, "go") && ctx.Err() == nil {
		r, err := b.bestBulk(ctx, kernelCase, nil, src, timeout)
		if err != nil {
			b.fail(kernelCase.id, "go", err)
		} else {
			kernel := fmt.Sprintf("Reference, kernel loopback (a Go sender and receiver, 1 MiB writes and reads, no tool): "+
				"%.2f GiB/s, %.3f CPU s/GiB for both ends.", gib/r.elapsed.Seconds(), r.cpu.Seconds()/gib)
			b.logf("%s", kernel)
			tput.notes = append(tput.notes, kernel)
		}
	}
	return tput, cpu, nil
}

// needSource reports whether a selected run reads the source file.
func (b *bench) needSource() bool {
	for _, c := range bulkCases {
		for _, t := range b.tools {
			if c.src == fromFile && t.path != "" && b.selected(c.id, t.name) {
				return true
			}
		}
	}
	return false
}

// bestBulk runs c cfg.runs times and keeps the fastest run.
func (b *bench) bestBulk(ctx context.Context, c bulkCase, t *tool, src string, timeout time.Duration) (bulkResult, error) {
	var best bulkResult
	var lastErr error
	for range b.cfg.runs {
		r, err := runBulk(ctx, c, t, b.cfg.size, src, timeout)
		if err != nil {
			lastErr = err
			continue
		}
		if best.elapsed == 0 || r.elapsed < best.elapsed {
			best = r
		}
	}
	if best.elapsed == 0 {
		return best, lastErr
	}
	return best, nil
}

// rounds calls run(i) for each of n entrants in turn, cfg.runs rounds, so
// that a change in the machine's load hits every entrant alike. It stops
// early when ctx ends.
func (b *bench) rounds(ctx context.Context, n int, run func(i int)) {
	for range b.cfg.runs {
		for i := range n {
			if ctx.Err() != nil {
				return
			}
			run(i)
		}
	}
}

// connRate fills the connection-rate table and the table of the tools' CPU
// per connection in the same runs; under them, the floor server's figures
// and the harness client's CPU per connection.
func (b *bench) connRate(ctx context.Context) (rate, cpu *table) {
	n := b.cfg.conns
	rate = &table{
		title:  fmt.Sprintf("Connection rate, %d short connections to `-l -k` (connections/s, higher is better; × = gnc ÷ peer)", n),
		tools:  b.toolNames(),
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) },
	}
	cpu = &table{
		title:  "Connection rate: CPU per connection, tool process only, same runs (µs, lower is better; × = gnc ÷ peer)",
		tools:  b.toolNames(),
		format: func(v float64) string { return fmt.Sprintf("%.1f", v) },
	}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = 30*time.Second + time.Duration(n)*10*time.Millisecond
	}
	b.rateTables(ctx, rateSpec{
		cases: connCases,
		tools: toolPointers(b.tools),
		goals: connGoals,
		floor: func(int) (tool, error) { return floorTool() },
		run: func(t *tool, inflight int) (connResult, error) {
			return runConnRate(ctx, t, n, inflight, timeout)
		},
		what:      "connection",
		floorText: floorServeText,
		loadText:  "The load: the harness's Go client, CPU µs per connection",
	}, rate, cpu)
	return rate, cpu
}

// A clientRow is the harness client's CPU per connection in one row's
// kept runs, by tool.
type clientRow struct {
	name string
	cpu  []namedValue
}

type namedValue struct {
	name  string
	value float64
}

// clientNote is the sentence giving the harness client's CPU per
// connection, the load's own cost on the shared cores.
func clientNote(lead string, rows []clientRow, format func(float64) string) string {
	var parts []string
	for _, r := range rows {
		var vs []string
		for _, v := range r.cpu {
			vs = append(vs, v.name+" "+format(v.value))
		}
		parts = append(parts, r.name+": "+strings.Join(vs, ", "))
	}
	return lead + " in the same runs, by the server it dialed: " + strings.Join(parts, "; ") + "."
}

// report writes the markdown: how it was run, on what, and the tables.
func (b *bench) report(ctx context.Context, w io.Writer, tables []*table) {
	cmd := "go run ./bench"
	if len(b.cfg.args) > 0 {
		cmd += " " + strings.Join(b.cfg.args, " ")
	}
	fmt.Fprintf(w, "## Results\n\n")
	fmt.Fprintf(w, "Measured %s with `%s`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cmd)
	fmt.Fprintf(w, "- Machine: %s; load average %s when the run started\n", machine(), b.load)
	for _, t := range b.tools {
		switch {
		case t.path == "" && t.name == "gnc":
			fmt.Fprintf(w, "- gnc: pending (%s)\n", t.missing)
		case t.path == "":
			fmt.Fprintf(w, "- %s: %s, skipped\n", t.name, t.missing)
		case t.name == "gnc" && b.cfg.gnc == "":
			fmt.Fprintf(w, "- gnc: %s, built from %s\n", t.version(ctx), gitRevision(ctx))
		default:
			fmt.Fprintf(w, "- %s: %s\n", t.name, t.version(ctx))
		}
	}
	fmt.Fprintln(w)
	for _, t := range tables {
		t.markdown(w)
	}
	if len(b.failures) > 0 {
		fmt.Fprintf(w, "Failed runs:\n\n")
		for _, f := range b.failures {
			fmt.Fprintf(w, "- %s\n", f)
		}
		fmt.Fprintln(w)
	}
}
