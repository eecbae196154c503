//go:build linux

package e2e

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"gnc/internal/testnet"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/script when a cmp fails")

// TestScripts runs the golden command-line scripts in testdata/script with
// the gnc built by TestMain on PATH. Besides testscript's own commands:
//
//	freeport NAME [tcp|udp]  set $NAME to a free port on 127.0.0.1
//	waitport tcp|udp PORT    wait until something listens on PORT
//	waitunix PATH            wait until a Unix stream socket listens at PATH
//	status CODE PROG ARGS…   run PROG and check its exact exit status
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		// One deadline for every script, and the scripts wait for
		// parallel slots behind the rest of the suite: on a loaded
		// machine testTimeout from now can pass before a script starts.
		Deadline: time.Now().Add(3 * time.Minute),
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", filepath.Dir(gncBin)+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"freeport": cmdFreeport,
			"waitport": cmdWaitport,
			"waitunix": cmdWaitunix,
			"status":   cmdStatus,
		},
	})
}

func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: freeport NAME [tcp|udp]")
	}
	network := "tcp"
	if len(args) == 2 {
		network = args[1]
	}
	port, err := testnet.PickPort(network, v4)
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(port))
}

func cmdWaitport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitport tcp|udp PORT")
	}
	port, err := strconv.Atoi(args[1])
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ts.Check(testnet.WaitListening(ctx, args[0], port, ""))
}

func cmdWaitunix(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitunix PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ts.Check(testnet.WaitListening(ctx, "unix", 0, ts.MkAbs(args[0])))
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
