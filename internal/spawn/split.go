package spawn

// Split turns -e's command line into an argument vector as ncat does: runs
// of spaces, tabs and newlines separate words (leading and trailing ones
// are ignored), a backslash makes the next character part of the word
// (a trailing backslash is dropped), and nothing else is special: quotes,
// $, ~ and * are ordinary characters.
func Split(s string) []string {
	var (
		args   []string
		word   []byte
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				word = append(word, s[i])
			}
		case isSpace(c):
			if inWord {
				args = append(args, string(word))
				word, inWord = word[:0], false
			}
		default:
			inWord = true
			word = append(word, c)
		}
	}
	if inWord {
		args = append(args, string(word))
	}
	return args
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
