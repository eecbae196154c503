//go:build !unix

package spawn

import "os/exec"

// killGroupOnCancel leaves cmd's Cancel as it is (it kills the shell): a
// system without Unix process groups has no group to kill.
func killGroupOnCancel(*exec.Cmd) {}
