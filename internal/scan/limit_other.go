//go:build !unix

package scan

// fdLimit: systems without rlimits get the full default.
func fdLimit() uint64 { return MaxDefaultConcurrency + fdReserve }
