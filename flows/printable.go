package flows

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s with every control character but newline and tab
// (C0, DEL, C1: ESC among them) and every bidirectional override replaced
// by U+FFFD, and invalid UTF-8 likewise, so that text a provider or a
// tenant's user chose (an error_description, a display name in evidence)
// cannot move the cursor, retitle the window, write the clipboard or
// reorder what the admin reads.
func Printable(s string) string {
	if !strings.ContainsFunc(s, unprintable) && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unprintable(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

func unprintable(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}

// maxServerText bounds what tether keeps of a server's free text (an
// error_description): enough for any real explanation, not a page.
const maxServerText = 512

// serverText is a server's free text as tether keeps it: printable and
// bounded.
func serverText(s string) string {
	s = Printable(s)
	if len(s) <= maxServerText {
		return s
	}
	cut := maxServerText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
