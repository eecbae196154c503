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
// reference, which it returns as a sentence.
func (b *bench) bulk(ctx context.Context) (tput, cpu *table, kernel string, err error) {
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
			return nil, nil, "", fmt.Errorf("source file: %w", err)
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
			kernel = fmt.Sprintf("Reference, kernel loopback (a Go sender and receiver, 1 MiB writes and reads, no tool): "+
				"%.2f GiB/s, %.3f CPU s/GiB for both ends.", gib/r.elapsed.Seconds(), r.cpu.Seconds()/gib)
			b.logf("%s", kernel)
		}
	}
	return tput, cpu, kernel, nil
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

// connRate fills the connection-rate table.
func (b *bench) connRate(ctx context.Context) *table {
	n := b.cfg.conns
	tab := &table{
		title: fmt.Sprintf("Connection rate, %d short connections to `-l -k` (connections/s, higher is better; × = gnc ÷ peer)", n),
		tools: b.toolNames(),
		format: func(v float64) string {
			return fmt.Sprintf("%.0f", v)
		},
	}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = 30*time.Second + time.Duration(n)*10*time.Millisecond
	}
	for _, c := range connCases {
		r := row{name: c.name, cells: map[string]cell{}, goals: connGoals}
		for i := range b.tools {
			t := &b.tools[i]
			switch {
			case !b.selected(c.id, t.name) || ctx.Err() != nil:
				continue
			case t.path == "":
				r.cells[t.name] = absent(t)
				continue
			case t.sequential && c.inflight > 1:
				r.cells[t.name] = cell{note: "sequential"}
				continue
			}
			var best float64
			var err error
			for range b.cfg.runs {
				var rate float64
				if rate, err = runConnRate(ctx, t, n, c.inflight, timeout); err == nil {
					best = max(best, rate)
				}
			}
			if best == 0 {
				r.cells[t.name] = b.fail(c.id, t.name, err)
				continue
			}
			b.logf("%s/%s: %.0f connections/s", c.id, t.name, best)
			r.cells[t.name] = cell{value: best, ok: true}
		}
		if len(r.cells) > 0 {
			tab.add(r)
		}
	}
	return tab
}

// report writes the markdown: how it was run, on what, and the tables.
func (b *bench) report(ctx context.Context, w io.Writer, tables []*table, kernel string) {
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
		if t == tables[0] && kernel != "" {
			fmt.Fprintf(w, "%s\n\n", kernel)
		}
	}
	if len(b.failures) > 0 {
		fmt.Fprintf(w, "Failed runs:\n\n")
		for _, f := range b.failures {
			fmt.Fprintf(w, "- %s\n", f)
		}
		fmt.Fprintln(w)
	}
}
