//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
)

// everyPeer as a goal's peer stands for every column but gnc.
const everyPeer = "*"

// A goal is one target for gnc in a row: gnc ÷ peer at least ratio, or
// below ratio when lower is better. An absolute goal compares gnc's figure
// itself with ratio (at most ratio when lower is better) and has no peer.
type goal struct {
	peer  string // a column name or everyPeer
	ratio float64
	lower bool
	abs   bool
}

func (g goal) String() string {
	switch {
	case g.abs && g.lower:
		return fmt.Sprintf("≤ %g", g.ratio)
	case g.abs:
		return fmt.Sprintf("≥ %g", g.ratio)
	}
	peer := g.peer
	if peer == everyPeer {
		peer = "every peer"
	}
	switch {
	case g.lower && g.ratio == 1:
		return "< " + peer
	case g.lower:
		return fmt.Sprintf("< %g× %s", g.ratio, peer)
	case g.ratio == 1:
		return "≥ " + peer
	default:
		return fmt.Sprintf("≥ %g× %s", g.ratio, peer)
	}
}

// met reports whether gnc's figure meets g against the peer's.
func (g goal) met(gnc, peer float64) bool {
	if g.lower {
		return gnc/peer < g.ratio
	}
	return gnc/peer >= g.ratio
}

// A cell is one tool's figure in one row.
type cell struct {
	value float64
	ok    bool   // value is a measurement
	note  string // why there is none: "not in PATH", "failed", …
}

// A row is one case of a table.
type row struct {
	name  string
	cells map[string]cell // by tool name
	goals []goal
}

// A table is a markdown table of gnc and its peers, with gnc ÷ peer ratios
// and gnc's targets.
type table struct {
	title  string
	tools  []string // columns, gnc first
	format func(float64) string
	rows   []row
	notes  []string // paragraphs after the table: reference figures
}

func (t *table) add(r row) { t.rows = append(t.rows, r) }

// markdown writes t and its notes; a table without rows writes its notes
// only.
func (t *table) markdown(w io.Writer) {
	defer func() {
		for _, n := range t.notes {
			fmt.Fprintf(w, "%s\n\n", n)
		}
	}()
	if len(t.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "### %s\n\n", t.title)
	fmt.Fprintf(w, "| case | %s | target | result |\n", strings.Join(t.tools, " | "))
	fmt.Fprintf(w, "|---|%s---|---|\n", strings.Repeat("--:|", len(t.tools)))
	for _, r := range t.rows {
		cols := []string{r.name}
		gnc := r.cells["gnc"]
		for _, name := range t.tools {
			cols = append(cols, t.cellText(r.cells[name], gnc, name == "gnc"))
		}
		var goals []string
		for _, g := range r.goals {
			goals = append(goals, g.String())
		}
		cols = append(cols, strings.Join(goals, ", "), t.verdict(r))
		fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | "))
	}
	fmt.Fprintln(w)
}

// cellText shows a figure, and for a peer the ratio gnc ÷ peer.
func (t *table) cellText(c, gnc cell, isGnc bool) string {
	switch {
	case !c.ok && c.note == "":
		return "—"
	case !c.ok:
		return c.note
	case isGnc || !gnc.ok || c.value == 0:
		return t.format(c.value)
	}
	return fmt.Sprintf("%s (%.2f×)", t.format(c.value), gnc.value/c.value)
}

// verdict is PASS when gnc meets every goal of r that can be checked, FAIL
// when it misses one; goals against missing peers are named as unchecked.
func (t *table) verdict(r row) string {
	if len(r.goals) == 0 {
		return ""
	}
	gnc, selected := r.cells["gnc"]
	switch {
	case !selected:
		return "—"
	case !gnc.ok && gnc.note == "pending":
		return "pending"
	case !gnc.ok:
		return "FAIL"
	}
	checked, pass := false, true
	var unchecked []string
	for _, g := range r.goals {
		if g.abs {
			checked = true
			pass = pass && (g.lower && gnc.value <= g.ratio || !g.lower && gnc.value >= g.ratio)
			continue
		}
		peers := []string{g.peer}
		if g.peer == everyPeer {
			peers = t.tools[1:]
		}
		for _, name := range peers {
			p := r.cells[name]
			if !p.ok || p.value == 0 {
				unchecked = append(unchecked, name)
				continue
			}
			checked = true
			pass = pass && g.met(gnc.value, p.value)
		}
	}
	v := "PASS"
	switch {
	case !checked:
		v = "n/a"
	case !pass:
		v = "FAIL"
	}
	if len(unchecked) > 0 {
		v += " (no " + strings.Join(unchecked, ", ") + ")"
	}
	return v
}
