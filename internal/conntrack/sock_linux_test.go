package conntrack

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestAppBytes(t *testing.T) {
	for _, tc := range []struct {
		name              string
		state             uint8
		received, acked   uint64
		inq, outq         int64
		wantRead, wantOut int64
	}{
		// A dialed socket's acked count includes its SYN; an
		// accepted one's does not. KernelCount takes out the SYN.
		{"fresh dialed", 1, 0, 1, 0, 0, 0, 1},
		{"fresh accepted", 1, 0, 0, 0, 0, 0, 0},
		{"established", 1, 100, 51, 10, 5, 90, 56},
		{"peer's FIN in", 8, 101, 1, 0, 0, 100, 1},
		{"our FIN queued", 4, 0, 11, 0, 1, 0, 11},
		{"our FIN acked", 5, 0, 12, 0, 0, 0, 11},
		{"both FINs", 6, 21, 12, 0, 0, 20, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := &unix.TCPInfo{State: tc.state, Bytes_received: tc.received, Bytes_acked: tc.acked}
			r, w := appBytes(info, tc.inq, tc.outq)
			if r != tc.wantRead || w != tc.wantOut {
				t.Errorf("appBytes = %d, %d; want %d, %d", r, w, tc.wantRead, tc.wantOut)
			}
		})
	}
}
