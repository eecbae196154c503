package testnet

import "testing"

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"good", "# HELP a_total A.\n# TYPE a_total counter\na_total 3\n# TYPE g gauge\ng -1\n", true},
		{"empty", "", false},
		{"no newline", "# TYPE g gauge\ng 1", false},
		{"no type", "g 1\n", false},
		{"counter without _total", "# TYPE c counter\nc 1\n", false},
		{"negative counter", "# TYPE c_total counter\nc_total -1\n", false},
		{"bad value", "# TYPE g gauge\ng x\n", false},
		{"bad name", "# TYPE 1g gauge\n1g 1\n", false},
		{"two samples", "# TYPE g gauge\ng 1\ng 2\n", false},
		{"two types", "# TYPE g gauge\n# TYPE g gauge\ng 1\n", false},
		{"type after sample", "# TYPE g gauge\ng 1\n# HELP g late\n", false},
		{"unknown type", "# TYPE g meter\ng 1\n", false},
		{"unknown keyword", "# NOTE g x\n", false},
		{"blank line", "# TYPE g gauge\n\ng 1\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetrics(tc.text)
			if (err == nil) != tc.ok {
				t.Errorf("ParseMetrics(%q) error = %v, want ok=%v", tc.text, err, tc.ok)
			}
		})
	}
}
