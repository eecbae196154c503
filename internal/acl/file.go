package acl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// FileError is a spec file that cannot be read or has a bad spec.
type FileError struct {
	Path string
	Op   string // "open" or "read" when the file failed, "" for a bad spec
	Line int    // the bad spec's line
	Err  error  // the *os.PathError, or the *SpecError of a bad spec
}

// Error is ncat's "can't open F: No such file or directory." for a file
// that failed, else "F:LINE: " and the spec's error.
func (e *FileError) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("can't %s %s: %s.", e.Op, e.Path, errnoText(e.Err))
	}
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// FileSpec is one spec read from a file, with its line number.
type FileSpec struct {
	Text string
	Line int
}

// ReadSpecs reads the specs of an --allowfile or --denyfile: separated by
// any whitespace, blank lines allowed, and (unlike ncat) "#" starting a
// comment to the end of the line. Commas do not separate specs in a file.
func ReadSpecs(r io.Reader) ([]FileSpec, error) {
	var out []FileSpec
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		for _, f := range strings.Fields(text) {
			out = append(out, FileSpec{f, line})
		}
	}
	return out, sc.Err()
}

// loadFile reads and resolves the specs of one file.
func (r Resolution) loadFile(ctx context.Context, path string) ([]rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Op: "open", Err: err}
	}
	defer f.Close()
	specs, err := ReadSpecs(f)
	if err != nil {
		return nil, &FileError{Path: path, Op: "read", Err: err}
	}
	var rules []rule
	for _, fs := range specs {
		if strings.Contains(fs.Text, ",") {
			return nil, &FileError{Path: path, Line: fs.Line, Err: &SpecError{fs.Text, fmt.Sprintf("%q: specs in a file are separated by whitespace, not commas.", fs.Text)}}
		}
		s, err := ParseSpec(fs.Text)
		if err == nil {
			var more []rule
			more, err = r.rulesOf(ctx, s)
			rules = append(rules, more...)
		}
		if err != nil {
			return nil, &FileError{Path: path, Line: fs.Line, Err: err}
		}
	}
	return rules, nil
}

// errnoText is the C library's text for err's errno ("No such file or
// directory"), as ncat prints it.
func errnoText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}
