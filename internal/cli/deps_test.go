package cli

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const cliPath = "gnc/internal/cli"

// goList runs the go command's list subcommand and returns its output
// lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", append([]string{"list"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("go list %s: %s", strings.Join(args, " "), msg)
	}
	return strings.Fields(string(out))
}

// TestImportLayering enforces style §2.1: imports flow main → cli → the
// rest, so no package under internal/ other than cli depends on cli, and
// cmd/gnc does.
func TestImportLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not in PATH; import layering not checked")
	}

	pkgs := goList(t, "gnc/internal/...")
	if !slices.Contains(pkgs, cliPath) {
		t.Fatalf("go list gnc/internal/... = %v, missing %s", pkgs, cliPath)
	}
	lower := 0
	for _, p := range pkgs {
		if p == cliPath {
			continue
		}
		lower++
		t.Run(strings.TrimPrefix(p, "gnc/"), func(t *testing.T) {
			if deps := goList(t, "-deps", p); slices.Contains(deps, cliPath) {
				t.Errorf("%s depends on %s; lower packages must not import cli (go list -deps %s):\n%s",
					p, cliPath, p, strings.Join(deps, "\n"))
			}
		})
	}
	if lower == 0 {
		t.Errorf("no packages under gnc/internal besides cli: %v", pkgs)
	}

	if deps := goList(t, "-deps", "gnc/cmd/gnc"); !slices.Contains(deps, cliPath) {
		t.Errorf("gnc/cmd/gnc does not depend on %s", cliPath)
	}
}
