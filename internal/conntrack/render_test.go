package conntrack

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gnc/internal/testnet"
)

func TestWriteTable(t *testing.T) {
	listener := Row{Proto: "tcp", Local: "127.0.0.1:8080", Remote: "0.0.0.0:*", State: "LISTEN", Listener: true,
		Age: 75 * time.Second, RecvQ: 0, SendQ: 128, Queued: -1}
	conn := Row{Proto: "tcp6", Local: "[::1]:8080", Remote: "[::1]:40000", State: "ESTABLISHED",
		Age: 2*time.Hour + 3*time.Minute + 4*time.Second, BytesIn: 1234, BytesOut: 56, RecvQ: 7, SendQ: 0, Queued: -1}
	member := Row{Proto: "udp", Local: "127.0.0.1:9", Remote: "127.0.0.1:5000", State: "-", Age: 0,
		BytesIn: 1, BytesOut: 2, RecvQ: -1, SendQ: -1, Name: "alice", Queued: 4096}
	header := "Proto  Recv-Q  Send-Q  Local Address   Foreign Address  State        Age       Bytes-In  Bytes-Out  Name   Queued\n"
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"empty", nil, "Proto  Recv-Q  Send-Q  Local Address  Foreign Address  State  Age  Bytes-In  Bytes-Out  Name  Queued\n"},
		{"mixed", []Row{listener, conn, member}, header +
			"tcp    0       128     127.0.0.1:8080  0.0.0.0:*        LISTEN       1m15s     -         -          -      -\n" +
			"tcp6   7       0       [::1]:8080      [::1]:40000      ESTABLISHED  2h03m04s  1234      56         -      -\n" +
			"udp    -       -       127.0.0.1:9     127.0.0.1:5000   -            0s        1         2          alice  4096\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteTable(&b, tc.rows); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("WriteTable (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatAge(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {999 * time.Millisecond, "0s"}, {59 * time.Second, "59s"}, {60 * time.Second, "1m00s"},
		{3599 * time.Second, "59m59s"}, {3600 * time.Second, "1h00m00s"}, {100 * time.Hour, "100h00m00s"},
	} {
		if got := formatAge(tc.d); got != tc.want {
			t.Errorf("formatAge(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rows := []Row{{Proto: "tcp", Local: "127.0.0.1:1", Remote: "127.0.0.1:2", State: "ESTABLISHED",
		Age: 1500 * time.Millisecond, BytesIn: 10, BytesOut: 20, RecvQ: 3, SendQ: -1, Name: "bob", Queued: 5}}
	tot := Totals{Accepted: 4, Denied: 1, Dropped: 2, Active: 1, Listeners: 1, BytesIn: 100, BytesOut: 200}
	var b bytes.Buffer
	if err := WriteJSON(&b, rows, tot); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	want := map[string]any{
		"connections": []any{map[string]any{
			"proto": "tcp", "local": "127.0.0.1:1", "remote": "127.0.0.1:2", "state": "ESTABLISHED", "listener": false,
			"age_seconds": 1.5, "bytes_in": 10.0, "bytes_out": 20.0, "recv_q": 3.0, "send_q": -1.0, "name": "bob", "queued": 5.0,
		}},
		"accepted": 4.0, "denied": 1.0, "active": 1.0, "bytes_in": 100.0, "bytes_out": 200.0, "broker_dropped": 2.0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WriteJSON (-want +got):\n%s", diff)
	}
	b.Reset()
	WriteJSON(&b, nil, Totals{})
	if !strings.Contains(b.String(), `"connections": []`) {
		t.Errorf("an empty table must be [] (not null):\n%s", b.String())
	}
}

func TestWriteMetrics(t *testing.T) {
	tests := []struct {
		name string
		tot  Totals
	}{
		{"zero", Totals{}},
		{"busy", Totals{Accepted: 10, Denied: 3, Dropped: 1, Active: 2, Listeners: 2, BytesIn: 1 << 40, BytesOut: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteMetrics(&b, tc.tot); err != nil {
				t.Fatal(err)
			}
			got, err := testnet.ParseMetrics(b.String())
			if err != nil {
				t.Fatalf("ParseMetrics: %v\n%s", err, b.String())
			}
			want := map[string]float64{
				"gnc_connections_accepted_total": float64(tc.tot.Accepted),
				"gnc_connections_denied_total":   float64(tc.tot.Denied),
				"gnc_connections_active":         float64(tc.tot.Active),
				"gnc_listeners":                  float64(tc.tot.Listeners),
				"gnc_received_bytes_total":       float64(tc.tot.BytesIn),
				"gnc_sent_bytes_total":           float64(tc.tot.BytesOut),
				"gnc_broker_dropped_total":       float64(tc.tot.Dropped),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}
