package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// normalize reads the arguments as getopt_long does and rewrites every
// option into one canonical "--name" or "--name=value" argument for pflag,
// so bundles, attached values, unique prefixes and getopt's error texts
// are ours and pflag's own short-option rules never apply. Parsing stops
// at -h or --version, as ncat acts on them when it meets them.
func normalize(fs *pflag.FlagSet, args []string) ([]string, error) {
	var longs []*pflag.Flag
	shorts := map[byte]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		if !strings.HasPrefix(f.Name, "_") {
			longs = append(longs, f)
		}
		if f.Shorthand != "" {
			shorts[f.Shorthand[0]] = f
		}
	})
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...), nil
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			f, err := matchLong(longs, name, a)
			if err != nil {
				return nil, err
			}
			if takesArg(f) && f.NoOptDefVal != "" { // an optional argument: only --name=value gives one
				if hasValue {
					out = append(out, "--"+f.Name+"="+value)
				} else {
					out = append(out, "--"+f.Name)
				}
				continue
			}
			if !takesArg(f) {
				if hasValue {
					return nil, usageErrorf("option '--%s' doesn't allow an argument", f.Name)
				}
				out = append(out, "--"+f.Name)
				if stopsParsing(f) {
					return out, nil
				}
				continue
			}
			if !hasValue {
				if i+1 >= len(args) {
					return nil, usageErrorf("option '--%s' requires an argument", f.Name)
				}
				i++
				value = args[i]
			}
			out = append(out, "--"+f.Name+"="+value)
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				f := shorts[a[j]]
				if f == nil {
					return nil, usageErrorf("invalid option -- '%s'", a[j:j+1])
				}
				if !takesArg(f) {
					out = append(out, "--"+f.Name)
					if stopsParsing(f) {
						return out, nil
					}
					continue
				}
				value := a[j+1:]
				if value == "" {
					if i+1 >= len(args) {
						return nil, usageErrorf("option requires an argument -- '%c'", a[j])
					}
					i++
					value = args[i]
				}
				out = append(out, "--"+f.Name+"="+value)
				break
			}
		default:
			out = append(out, a)
		}
	}
	return out, nil
}

func takesArg(f *pflag.Flag) bool {
	t := f.Value.Type()
	return t != "bool" && t != "count"
}

func stopsParsing(f *pflag.Flag) bool { return f.Name == "help" || f.Name == "version" }

// matchLong finds the long option name stands for: an exact name, or a
// unique prefix. Several matches that getopt treats alike (long-only
// options taking the same kind of argument) resolve to the first.
func matchLong(longs []*pflag.Flag, name, arg string) (*pflag.Flag, error) {
	var matches []*pflag.Flag
	for _, f := range longs {
		if f.Name == name {
			return f, nil
		}
		if name != "" && strings.HasPrefix(f.Name, name) {
			matches = append(matches, f)
		}
	}
	switch {
	case len(matches) == 0:
		return nil, usageErrorf("unrecognized option '%s'", arg)
	case len(matches) == 1 || alike(matches):
		return matches[0], nil
	}
	names := make([]string, len(matches))
	for i, f := range matches {
		names[i] = "'--" + f.Name + "'"
	}
	return nil, usageErrorf("option '%s' is ambiguous; possibilities: %s", "--"+name, strings.Join(names, " "))
}

func alike(fs []*pflag.Flag) bool {
	for _, f := range fs {
		if f.Shorthand != "" || flagIdentity[f.Name] != "" || takesArg(f) != takesArg(fs[0]) {
			return false
		}
	}
	return true
}
