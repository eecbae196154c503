//go:build linux

package main

import "context"

// rateCase is a row of a rate table: the connections kept in flight.
type rateCase struct {
	id       string // matched by -only
	name     string
	inflight int
}

// rateSpec says how to fill a rate table and the table of the tools' CPU
// in the same runs: the connection-rate rows and the proxy-server rows.
type rateSpec struct {
	cases []rateCase
	tools []*tool // in column order; a tool without a path is absent
	goals []goal  // of the rate rows
	// floor returns the floor for a row, run after the tools.
	floor func(inflight int) (tool, error)
	// run makes one measured run of t.
	run func(t *tool, inflight int) (connResult, error)
	// what a run's unit is, in the log ("connection", "tunnel").
	what string
	// floorText leads the note under the rate table.
	floorText string
	// loadText leads the note on the harness's own CPU under the CPU table.
	loadText string
}

// rateTables fills rate and cpu with the rows of spec: each row's tools
// and its floor take turns run by run (see rounds), and the fastest run of
// each is kept. Under the tables go the floor's figures, beside ncat's,
// and the harness's CPU in the kept runs.
func (b *bench) rateTables(ctx context.Context, spec rateSpec, rate, cpu *table) {
	var floorRate, floorCPU []floorFigure
	var client []clientRow
	for _, c := range spec.cases {
		rr := row{name: c.name, cells: map[string]cell{}, goals: spec.goals}
		cr := row{name: c.name, cells: map[string]cell{}}
		var ts []*tool // the tools to run, then the floor
		for _, t := range spec.tools {
			switch {
			case !b.selected(c.id, t.name):
			case t.path == "":
				rr.cells[t.name], cr.cells[t.name] = absent(t), absent(t)
			case t.sequential && c.inflight > 1:
				rr.cells[t.name], cr.cells[t.name] = cell{note: "sequential"}, cell{note: "sequential"}
			default:
				ts = append(ts, t)
			}
		}
		if b.selected(c.id, floorName) {
			if floor, err := spec.floor(c.inflight); err != nil {
				b.fail(c.id, floorName, err)
			} else {
				ts = append(ts, &floor)
			}
		}
		best := make([]connResult, len(ts)) // the fastest run of each
		errs := make([]error, len(ts))
		b.rounds(ctx, len(ts), func(i int) {
			r, err := spec.run(ts[i], c.inflight)
			switch {
			case err != nil:
				errs[i] = err
			case r.rate > best[i].rate:
				best[i] = r
			}
		})
		cl := clientRow{name: c.name}
		for i, t := range ts {
			r := best[i]
			if r.rate == 0 {
				if errs[i] == nil {
					continue // not run: the harness is stopping
				}
				f := b.fail(c.id, t.name, errs[i])
				if t.name != floorName {
					rr.cells[t.name], cr.cells[t.name] = f, f
				}
				continue
			}
			b.logf("%s/%s: %.0f connections/s, %.1f µs CPU per %s, harness %.1f µs",
				c.id, t.name, r.rate, r.cpuPerConn, spec.what, r.clientPerConn)
			cl.cpu = append(cl.cpu, namedValue{t.name, r.clientPerConn})
			if t.name == floorName { // last, after the peer's cells
				floorRate = append(floorRate, floorFigure{name: c.name, value: r.rate, peer: rr.cells[floorPeerConn]})
				floorCPU = append(floorCPU, floorFigure{name: c.name, value: r.cpuPerConn, peer: cr.cells[floorPeerConn]})
				continue
			}
			rr.cells[t.name] = cell{value: r.rate, ok: true}
			cr.cells[t.name] = cell{value: r.cpuPerConn, ok: true}
		}
		if len(rr.cells) > 0 {
			rate.add(rr)
			cpu.add(cr)
		}
		if len(cl.cpu) > 0 {
			client = append(client, cl)
		}
	}
	if len(floorRate) > 0 {
		rate.notes = append(rate.notes, floorNote(spec.floorText, "connections/s", floorPeerConn, floorRate, rate.format))
		cpu.notes = append(cpu.notes, floorNote("Floor, the same runs", "µs", floorPeerConn, floorCPU, cpu.format))
	}
	if len(client) > 0 {
		cpu.notes = append(cpu.notes, clientNote(spec.loadText, client, cpu.format))
	}
}

// toolPointers returns pointers to ts's elements.
func toolPointers(ts []tool) []*tool {
	ps := make([]*tool, len(ts))
	for i := range ts {
		ps[i] = &ts[i]
	}
	return ps
}
