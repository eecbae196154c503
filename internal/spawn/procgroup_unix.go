//go:build unix

package spawn

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel makes cmd lead a process group of its own, which its
// Cancel kills whole: the commands a shell starts die with it.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
