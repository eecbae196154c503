//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The benchmark reads /proc and drives Linux builds of the peers.
func main() {
	fmt.Fprintln(os.Stderr, "bench: runs on Linux only")
	os.Exit(1)
}
