package cli

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("Connection refused."), 1},
		{ErrSilentFailure, 1},
		{usageErrorf("bad option"), 2},
		{&FatalError{Err: errors.New("cannot bind")}, 2},
		{ErrStdoutClosed, 2},
		{fmt.Errorf("relay: %w", ErrStdoutClosed), 2},
		{&DieError{Signal: syscall.SIGPIPE}, 128 + int(syscall.SIGPIPE)},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
