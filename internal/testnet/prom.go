package testnet

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	metricType = map[string]bool{"counter": true, "gauge": true, "histogram": true, "summary": true, "untyped": true}
)

// ParseMetrics reads the Prometheus text exposition format (0.0.4) strictly,
// for samples without labels: "# HELP name text" and "# TYPE name kind"
// lines, each at most once per name and before its sample, then "name
// value" lines. A counter's name must end in _total. It returns each
// sample's value by name, or the first line that breaks the grammar.
func ParseMetrics(text string) (map[string]float64, error) {
	if text == "" || !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("exposition must be non-empty and end with a newline")
	}
	values := map[string]float64{}
	types := map[string]string{}
	helps := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		bad := func(why string) error { return fmt.Errorf("line %d %q: %s", i+1, line, why) }
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			kw, rest, _ := strings.Cut(rest, " ")
			name, arg, _ := strings.Cut(rest, " ")
			if !metricName.MatchString(name) {
				return nil, bad("bad metric name")
			}
			if _, seen := values[name]; seen {
				return nil, bad("comment after the sample")
			}
			switch kw {
			case "HELP":
				if helps[name] {
					return nil, bad("second HELP")
				}
				helps[name] = true
			case "TYPE":
				if types[name] != "" || !metricType[arg] {
					return nil, bad("second or unknown TYPE")
				}
				if arg == "counter" && !strings.HasSuffix(name, "_total") {
					return nil, bad("counter name without _total")
				}
				types[name] = arg
			default:
				return nil, bad("unknown comment keyword")
			}
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok || !metricName.MatchString(name) {
			return nil, bad("not a sample")
		}
		if _, dup := values[name]; dup {
			return nil, bad("second sample")
		}
		if types[name] == "" {
			return nil, bad("sample without TYPE")
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, bad("bad value")
		}
		if types[name] == "counter" && v < 0 {
			return nil, bad("negative counter")
		}
		values[name] = v
	}
	return values, nil
}
