package cli

import (
	"errors"
	"fmt"
	"syscall"
)

// UsageError is a problem with the command line: an unknown, malformed,
// conflicting or unsupported option. main exits 2 for it, as ncat does.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErrorf(format string, args ...any) *UsageError {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// FatalError is one of ncat's "QUITTING" failures that are not about the
// command line (a name that does not resolve, an address that cannot be
// bound). main exits 2 for it, as ncat does.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() + " QUITTING." }
func (e *FatalError) Unwrap() error { return e.Err }

// ErrSilentFailure ends gnc with status 1 and no message, as ncat does for
// a failed -z probe without -v.
var ErrSilentFailure = errors.New("failure already reported")

// DieError ends gnc where ncat dies of a signal: with no message and the
// status a shell shows for that death, 128 plus the signal's number.
// --lua-exec-internal is one: ncat runs the script with SIGPIPE at its
// default, so a write that finds no reader kills it. (gnc exits with the
// status rather than dying: Go ignores a SIGPIPE a process sends itself.)
type DieError struct{ Signal syscall.Signal }

func (e *DieError) Error() string { return "killed by " + e.Signal.String() }

// ErrStdoutClosed ends gnc when the reader of its standard output went
// away: ncat says "write: Broken pipe" and exits 2.
var ErrStdoutClosed = errors.New("write: Broken pipe")

// ExitCode is the process status ncat would end with for err.
func ExitCode(err error) int {
	var usage *UsageError
	var fatal *FatalError
	var die *DieError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &die):
		return 128 + int(die.Signal)
	case errors.As(err, &usage), errors.As(err, &fatal), errors.Is(err, ErrStdoutClosed):
		return 2
	default:
		return 1
	}
}
