package tlsx

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// ParseVersion turns a --ssl-min-version/--ssl-max-version value into a
// tls.Version* constant: "1.0" to "1.3", optionally written "TLSv1.2" or
// "tls1.2"; "1" is 1.0.
func ParseVersion(s string) (uint16, error) {
	v := strings.ToLower(s)
	v = strings.TrimPrefix(v, "tlsv")
	v = strings.TrimPrefix(v, "tls")
	switch v {
	case "1", "1.0":
		return tls.VersionTLS10, nil
	case "1.1":
		return tls.VersionTLS11, nil
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("invalid TLS version %q (use 1.0, 1.1, 1.2 or 1.3)", s)
}

// VersionName is the version as gnc's options write it ("1.2").
func VersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "1.0"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}
