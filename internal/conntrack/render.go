package conntrack

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteTable writes rows as a netstat-like table with a header line. The
// columns are separated by two or more spaces; "-" stands for unknown.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Proto\tRecv-Q\tSend-Q\tLocal Address\tForeign Address\tState\tAge\tBytes-In\tBytes-Out\tName\tQueued")
	for _, r := range rows {
		in, out := strconv.FormatInt(r.BytesIn, 10), strconv.FormatInt(r.BytesOut, 10)
		if r.Listener {
			in, out = "-", "-"
		}
		name := r.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Proto, orDash(r.RecvQ), orDash(r.SendQ),
			r.Local, r.Remote, r.State, formatAge(r.Age), in, out, name, orDash(r.Queued))
	}
	return tw.Flush()
}

func orDash(n int64) string {
	if n < 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// formatAge writes an age to the second: 0s, 42s, 3m07s, 2h03m04s.
func formatAge(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
}

// jsonRow is a Row with its age in seconds.
type jsonRow struct {
	Row
	AgeSeconds float64 `json:"age_seconds"`
}

// Document is the JSON of /connections.
type Document struct {
	Connections []jsonRow `json:"connections"`
	Accepted    int64     `json:"accepted"`
	Denied      int64     `json:"denied"`
	Active      int64     `json:"active"`
	BytesIn     int64     `json:"bytes_in"`
	BytesOut    int64     `json:"bytes_out"`
	Dropped     int64     `json:"broker_dropped"`
}

// WriteJSON writes the table and totals as one JSON object (see Document).
func WriteJSON(w io.Writer, rows []Row, t Totals) error {
	d := Document{Connections: make([]jsonRow, len(rows)), Accepted: t.Accepted, Denied: t.Denied,
		Active: t.Active, BytesIn: t.BytesIn, BytesOut: t.BytesOut, Dropped: t.Dropped}
	for i, r := range rows {
		d.Connections[i] = jsonRow{Row: r, AgeSeconds: r.Age.Seconds()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// metric is one Prometheus sample family of one value.
type metric struct {
	name, kind, help string
	value            int64
}

// WriteMetrics writes the totals in the Prometheus text exposition format
// (version 0.0.4), by hand: a HELP and a TYPE line, then the sample.
func WriteMetrics(w io.Writer, t Totals) error {
	ms := []metric{
		{"gnc_connections_accepted_total", "counter", "Connections (and UDP peers) the listeners admitted.", t.Accepted},
		{"gnc_connections_denied_total", "counter", "Connections the listeners refused (-m, access control).", t.Denied},
		{"gnc_connections_active", "gauge", "Connections open now.", t.Active},
		{"gnc_listeners", "gauge", "Listening sockets open now.", t.Listeners},
		{"gnc_received_bytes_total", "counter", "Payload bytes received from peers.", t.BytesIn},
		{"gnc_sent_bytes_total", "counter", "Payload bytes sent to peers.", t.BytesOut},
		{"gnc_broker_dropped_total", "counter", "Broker and chat members disconnected as too slow.", t.Dropped},
	}
	for _, m := range ms {
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.kind, m.name, m.value); err != nil {
			return err
		}
	}
	return nil
}
