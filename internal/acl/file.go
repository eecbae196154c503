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
	Line int   // 0 when the file could not be opened or read
	Err  error // *SpecError for a bad spec
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return e.Err.Error()
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
		return nil, &FileError{Path: path, Err: fmt.Errorf("can't open %s: %s.", path, errnoText(err))}
	}
	defer f.Close()
	specs, err := ReadSpecs(f)
	if err != nil {
		return nil, &FileError{Path: path, Err: fmt.Errorf("can't read %s: %s.", path, errnoText(err))}
	}
	var rules []rule
	for _, fs := range specs {
		if strings.Contains(fs.Text, ",") {
			return nil, &FileError{path, fs.Line, &SpecError{fs.Text, fmt.Sprintf("%q: specs in a file are separated by whitespace, not commas.", fs.Text)}}
		}
		s, err := ParseSpec(fs.Text)
		if err == nil {
			var more []rule
			more, err = r.rulesOf(ctx, s)
			rules = append(rules, more...)
		}
		if err != nil {
			return nil, &FileError{path, fs.Line, err}
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
