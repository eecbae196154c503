//go:build linux

// Package e2e runs the gnc binary as a subprocess over real loopback
// sockets: every mode of connect and listen, the EOF rules, the options that
// see the bytes, exit codes and messages, the tutorial scenarios gnc must
// serve as a drop-in netcat, interop with ncat, nc.openbsd and socat, bulk
// transfers and resource limits.
//
// TestMain builds gnc once with -race; each test starts it with a bounded
// context, so no test can hang. Only 127.0.0.1, ::1 and Unix socket paths
// in temporary directories are used. The suite is Linux-only: it reads
// /proc for listeners, descriptors and CPU time, and traces with strace.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// gncBin is the path of the gnc binary built by TestMain.
var gncBin string

func TestMain(m *testing.M) {
	flag.Parse()
	// Most tests wait on sockets and subprocesses, not the CPU: run more of
	// them at once than the default GOMAXPROCS unless -parallel was given.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "8")
	}

	dir, err := os.MkdirTemp("", "gnc-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := run(m, dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(m *testing.M, dir string) int {
	gncBin = filepath.Join(dir, "gnc")
	build := exec.Command("go", "build", "-race", "-o", gncBin, "gnc/cmd/gnc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building gnc:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: leaked goroutines:", err)
			code = 1
		}
	}
	return code
}
