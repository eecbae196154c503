//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
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
	case floorName:
		return []string{floorScanCmd, loopback, fmt.Sprintf("%d-%d", first, last)}
	}
	return nil
}

// scanResult is a scanner's fastest run, and what the floor printed.
type scanResult struct {
	best time.Duration // wall time from exec to exit
	outs []string      // the floor's stdout, one per successful run
	err  error         // the last failure
}

// scanRate fills the port-scan table, ports per second from exec to exit,
// with the floor scanner's figures under it.
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
	var ts []*tool // the tools to run, then the floor
	for i := range b.tools {
		t := &b.tools[i]
		switch {
		case !b.selected(c.id, t.name):
		case t.path == "":
			r.cells[t.name] = absent(t)
		case scanArgs(t, c.first, c.last) == nil:
			r.cells[t.name] = cell{note: "one port only"}
		default:
			ts = append(ts, t)
		}
	}
	if b.selected(c.id, floorName) {
		if floor, err := floorTool(); err != nil {
			b.fail(c.id, floorName, err)
		} else {
			ts = append(ts, &floor)
		}
	}
	res := make([]scanResult, len(ts))
	b.rounds(ctx, len(ts), func(i int) {
		d, out, err := runScan(ctx, ts[i], scanArgs(ts[i], c.first, c.last), timeout)
		switch {
		case err != nil:
			res[i].err = err
			return
		case res[i].best == 0 || d < res[i].best:
			res[i].best = d
		}
		res[i].outs = append(res[i].outs, out)
	})
	ports := float64(c.last - c.first + 1)
	for i, t := range ts {
		if res[i].best == 0 {
			if res[i].err != nil {
				f := b.fail(c.id, t.name, res[i].err)
				if t.name != floorName {
					r.cells[t.name] = f
				}
			}
			continue
		}
		rate := ports / res[i].best.Seconds()
		if t.name != floorName {
			b.logf("%s/%s: %.0f ports/s (%v)", c.id, t.name, rate, res[i].best)
			r.cells[t.name] = cell{value: rate, ok: true}
			continue
		}
		// The floor is last, after the peer's cell.
		note, err := b.floorScanNote(res[i], r.cells[floorPeerScan], tab.format)
		if err != nil {
			b.fail(c.id, floorName, err)
			continue
		}
		tab.notes = append(tab.notes, note)
	}
	if len(r.cells) > 0 {
		tab.add(r)
	}
	return tab
}

// floorScanNote is the note under the scan table: the floor scanner's
// rates, from exec to exit and for its probes alone, against peer's.
func (b *bench) floorScanNote(res scanResult, peer cell, format func(float64) string) (string, error) {
	c := scanCase
	var open int
	var probes time.Duration // the shortest
	for i, out := range res.outs {
		o, d, err := parseFloorScan(out)
		if err != nil {
			return "", err
		}
		if i > 0 && o != open {
			b.logf("%s/%s: %d ports open in one run, %d in another", c.id, floorName, open, o)
		}
		open = o
		if probes == 0 || d < probes {
			probes = d
		}
	}
	ports := float64(c.last - c.first + 1)
	rate, probeRate := ports/res.best.Seconds(), ports/probes.Seconds()
	b.logf("%s/%s: %.0f ports/s (%v), probes alone %.0f ports/s (%v), %d open",
		c.id, floorName, rate, res.best, probeRate, probes, open)
	what := fmt.Sprintf(floorScanText, runtime.GOMAXPROCS(0), open)
	return floorNote(what, "ports/s", floorPeerScan, []floorFigure{
		{name: "from exec to exit", value: rate, peer: peer},
		{name: "the probes alone, without the process's start and exit", value: probeRate, peer: peer},
	}, format), nil
}

// runScan runs one scan and returns its wall time. Exit status 0 (a port
// was open) and 1 (none was) are both results. The tools' stdout is
// /dev/null; the floor's, its one line, is returned.
func runScan(ctx context.Context, t *tool, args []string, timeout time.Duration) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.path, args...)
	cmd.Env = t.environ()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, "", err
	}
	defer devnull.Close()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, &stderr
	if t.name == floorName {
		cmd.Stdout = &stdout
	}
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && t.name != floorName {
		err = nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("%w%s", err, tail(stderr.String()))
	}
	return elapsed, stdout.String(), nil
}
