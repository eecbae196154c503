package scan

import (
	"fmt"
	"testing"
)

// BenchmarkScanLoopback scans ports 20000-29999 of 127.0.0.1 (nearly all
// closed) per iteration.
func BenchmarkScanLoopback(b *testing.B) {
	ports := span(20000, 29999)
	for _, conc := range []int{1, 2, 4, 16, 64, 256} {
		b.Run(fmt.Sprint(conc), func(b *testing.B) {
			for b.Loop() {
				if err := Run(b.Context(), Options{Addr: v4, Ports: ports, Concurrency: conc}, func(Result) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
