//go:build !unix

package cli

import "io"

// pollable returns stdin unchanged where descriptors cannot be switched to
// non-blocking mode; a blocked stdin read then ends with the process.
func pollable(stdin io.Reader) (io.Reader, func()) { return stdin, func() {} }
