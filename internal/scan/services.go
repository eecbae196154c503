package scan

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// ParseServices reads a services(5) file ("ssh 22/tcp # comment") and
// returns the first name given to each port of the protocol proto ("tcp"),
// as getservbyport would. Malformed lines are skipped; an error is only a
// read error, returned with what was parsed before it.
func ParseServices(r io.Reader, proto string) (map[uint16]string, error) {
	names := map[uint16]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		num, pr, ok := strings.Cut(f[1], "/")
		if !ok || pr != proto {
			continue
		}
		p, err := strconv.ParseUint(num, 10, 16)
		if err != nil || p == 0 || !isDigits(num) {
			continue
		}
		if _, dup := names[uint16(p)]; !dup {
			names[uint16(p)] = f[0]
		}
	}
	return names, sc.Err()
}
