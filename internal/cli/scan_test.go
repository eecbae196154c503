package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"gnc/internal/testnet"
)

// TestScanPortsRun runs -z with port lists in process: what goes to stdout
// and stderr, and the error main turns into the exit status.
func TestScanPortsRun(t *testing.T) {
	base := testnet.PortBlock(t, "tcp", testnet.IPv4, 4, 1, 3)
	port := func(i int) string { return strconv.Itoa(base + i) }
	open := func(i int) string {
		return fmt.Sprintf("Connection to 127.0.0.1 %d port [tcp/%s] succeeded!\n", base+i, serviceName(base+i))
	}
	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := Run(t.Context(), args, strings.NewReader(""), &out, &errb)
		return out.String(), errb.String(), err
	}

	out, errs, err := run("-z", "127.0.0.1", port(0)+"-"+port(3))
	if err != nil || out != open(1)+open(3) || errs != "" {
		t.Errorf("two open: stdout %q, stderr %q, err %v", out, errs, err)
	}
	out, errs, err = run("-z", "127.0.0.1", port(0), port(2))
	if !errors.Is(err, ErrSilentFailure) || ExitCode(err) != 1 || out+errs != "" {
		t.Errorf("none open: stdout %q, stderr %q, err %v (exit %d), want silent exit 1", out, errs, err, ExitCode(err))
	}
	_, _, err = run("-z", "-n", "localhost", port(0)+","+port(1))
	var fatal *FatalError
	if !errors.As(err, &fatal) || ExitCode(err) != 2 {
		t.Errorf("-n localhost: err %v (exit %d), want a fatal resolve error", err, ExitCode(err))
	}
	_, _, err = run("-z", "-s", "localhost", "-n", "127.0.0.1", port(0)+","+port(1))
	if !errors.As(err, &fatal) || ExitCode(err) != 2 {
		t.Errorf("-n -s localhost: err %v (exit %d), want a fatal resolve error", err, ExitCode(err))
	}
	var out2 failWriter
	err = Run(t.Context(), []string{"-z", "127.0.0.1", port(0) + "-" + port(3)}, strings.NewReader(""), &out2, &bytes.Buffer{})
	if !errors.Is(err, errWrite) {
		t.Errorf("failing stdout: err %v, want the write error", err)
	}
}

var errWrite = errors.New("stdout broke")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func serviceName(port int) string {
	if n := serviceNames("tcp")[uint16(port)]; n != "" {
		return n
	}
	return "*"
}
