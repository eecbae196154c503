//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// scanCase is the port-scan row: -z over ports 1-10000 of 127.0.0.1.
var scanCase = struct {
	id, name string
	first    int
	last     int
}{id: "scan", name: "ports 1-10000 of 127.0.0.1", first: 1, last: 10000}

// scanGoals are gnc's port-scan targets.
var scanGoals = []goal{{peer: "nc.openbsd", ratio: 5}}

// scanArgs is the scan command line of t, or nil when t has no range scan.
func scanArgs(t *tool, first, last int) []string {
	switch t.name {
	case "gnc", "nc.openbsd":
		return []string{"-z", loopback, fmt.Sprintf("%d-%d", first, last)}
	}
	return nil
}

// scanRate fills the port-scan table: ports per second, from exec to exit.
func (b *bench) scanRate(ctx context.Context) *table {
	c := scanCase
	tab := &table{
		title:  fmt.Sprintf("Port scan, `-z` over %d ports of 127.0.0.1, nearly all closed (ports/s, higher is better; × = gnc ÷ peer)", c.last-c.first+1),
		tools:  b.toolNames(),
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) },
	}
	r := row{name: c.name, cells: map[string]cell{}, goals: scanGoals}
	timeout := b.cfg.timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	for i := range b.tools {
		t := &b.tools[i]
		args := scanArgs(t, c.first, c.last)
		switch {
		case !b.selected(c.id, t.name) || ctx.Err() != nil:
			continue
		case t.path == "":
			r.cells[t.name] = absent(t)
			continue
		case args == nil:
			r.cells[t.name] = cell{note: "one port only"}
			continue
		}
		var best time.Duration
		var err error
		for range b.cfg.runs {
			var d time.Duration
			if d, err = runScan(ctx, t, args, timeout); err == nil && (best == 0 || d < best) {
				best = d
			}
		}
		if best == 0 {
			r.cells[t.name] = b.fail(c.id, t.name, err)
			continue
		}
		rate := float64(c.last-c.first+1) / best.Seconds()
		b.logf("%s/%s: %.0f ports/s (%v)", c.id, t.name, rate, best)
		r.cells[t.name] = cell{value: rate, ok: true}
	}
	if len(r.cells) > 0 {
		tab.add(r)
	}
	return tab
}

// runScan runs one scan and returns its wall time. Exit status 0 (a port
// was open) and 1 (none was) are both results.
func runScan(ctx context.Context, t *tool, args []string, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.path, args...)
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		err = nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w%s", err, tail(stderr.String()))
	}
	return elapsed, nil
}
