package relay

import (
	"testing"
	"time"
)

// With no option that sees the bytes, the data path takes no wrapper, so
// io.Copy between the bare connection and *os.File can splice or sendfile.
func TestNeedsUserCopy(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want bool
	}{
		{"zero", Options{}, false},
		{"send-only", Options{SendOnly: true}, false},
		{"recv-only", Options{RecvOnly: true}, false},
		{"no-shutdown", Options{NoShutdown: true}, false},
		{"-q", Options{QuitAfterEOF: time.Second}, false},
		{"-q negative", Options{QuitAfterEOF: -1}, false},
		{"stdin EOF ends", Options{StdinEOFEnds: true}, false},
		{"hold after peer EOF", Options{HoldAfterPeerEOF: true}, false},
		{"all byte-blind options", Options{SendOnly: true, NoShutdown: true, QuitAfterEOF: -1, StdinEOFEnds: true, HoldAfterPeerEOF: true}, false},

		{"-i", Options{IdleTimeout: time.Second}, true},
		{"-d", Options{Delay: time.Millisecond}, true},
		{"-C", Options{CRLF: true}, true},
		{"-t", Options{Telnet: true}, true},
		{"-o/-x", Options{Log: &Log{}}, true},
		{"datagram", Options{Datagram: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.needsUserCopy(); got != tt.want {
				t.Errorf("(%+v).needsUserCopy() = %v, want %v", tt.o, got, tt.want)
			}
		})
	}
}
