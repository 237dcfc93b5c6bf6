package flows

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// A server's error may quote the request it refuses, and so the secrets
// in it: a hostile or careless one echoes the whole body, a client
// assertion, a Basic header, or a prefix of a secret it cut short. So
// every text that comes back from a server (an error_description, a
// snippet of a body) is redacted in full, and only then cut: a secret
// that straddles the cut would otherwise show the part before it.
//
// Redaction removes every run of at least gramSize bytes that also
// occurs in a secret (in any of the encodings it travels in), not only
// whole secrets, so a partial echo shows nothing either. Whole secrets
// shorter than gramSize (4 bytes or more) are removed too.

const (
	// gramSize is the shortest piece of a secret that redaction finds
	// anywhere in a text.
	gramSize = 8
	// minSecret is the shortest secret removed when it appears whole.
	minSecret = 4
	// snippetMax is how many bytes of a body an error quotes.
	snippetMax = 200
)

// Redact returns s with every secret removed: each run of 8 bytes or more
// that also occurs in a secret (as it is, form-encoded, URL-encoded or
// JSON-escaped) becomes "[redacted]", as does any whole secret of 4 bytes
// or more. Use it on any text a server sent back before showing it.
func Redact(s string, secrets ...string) string {
	return newRedactor(secrets...).redact(s)
}

// Snippet returns what an error may quote of a response body: the body
// redacted as Redact does, all of it first, then trimmed and cut to 200
// bytes (on a character boundary, marked with "…").
func Snippet(body []byte, secrets ...string) string {
	return newRedactor(secrets...).snippet(body)
}

// redactor finds secrets in text.
type redactor struct {
	short []string            // whole forms of secrets too short for a gram
	grams map[uint64]struct{} // every gramSize-byte piece of every form
}

func newRedactor(secrets ...string) *redactor {
	r := &redactor{grams: map[uint64]struct{}{}}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minSecret {
			continue // too short to tell from text; its encodings likewise
		}
		for _, f := range forms(s) {
			if len(f) < minSecret || seen[f] {
				continue
			}
			seen[f] = true
			if len(f) < gramSize {
				r.short = append(r.short, f)
			}
			for i := 0; i+gramSize <= len(f); i++ {
				r.grams[gram(f[i:])] = struct{}{}
			}
		}
	}
	return r
}

// forms are the encodings a secret travels in, and may be echoed in.
func forms(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, html := range []bool{true, false} {
		b.Reset()
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			q := strings.TrimSuffix(b.String(), "\n")
			out = append(out, q[1:len(q)-1])
		}
	}
	return out
}

// gram packs the first gramSize bytes of s.
func gram(s string) uint64 {
	var b [gramSize]byte
	copy(b[:], s)
	return binary.LittleEndian.Uint64(b[:])
}

// marks reports, byte by byte, what of s belongs to a secret.
func (r *redactor) marks(s string) []bool {
	var m []bool
	mark := func(from, to int) {
		if m == nil {
			m = make([]bool, len(s))
		}
		for i := from; i < to; i++ {
			m[i] = true
		}
	}
	for _, f := range r.short {
		for off := 0; ; {
			i := strings.Index(s[off:], f)
			if i < 0 {
				break
			}
			mark(off+i, off+i+len(f))
			off += i + 1
		}
	}
	if len(r.grams) > 0 {
		for i := 0; i+gramSize <= len(s); i++ {
			if _, ok := r.grams[gram(s[i:])]; ok {
				mark(i, i+gramSize)
			}
		}
	}
	return m
}

// leaks reports whether s still holds a piece of a secret.
func (r *redactor) leaks(s string) bool { return r.marks(s) != nil }

func (r *redactor) redact(s string) string {
	m := r.marks(s)
	if m == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !m[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && m[i] {
			i++
		}
		b.WriteString(redacted)
	}
	return r.safe(strings.ToValidUTF8(b.String(), "\uFFFD"))
}

// safe returns s unless the marker itself, joined to what surrounds it,
// spells a piece of a secret (a secret made of "[redacted]", say): then
// nothing is safe to show.
func (r *redactor) safe(s string) string {
	switch {
	case !r.leaks(s):
		return s
	case !r.leaks(redacted):
		return redacted
	}
	return ""
}

func (r *redactor) snippet(body []byte) string {
	s := strings.TrimSpace(r.redact(string(body)))
	if len(s) > snippetMax {
		// Back off to a character's start, but no further than a
		// character can be long: invalid UTF-8 may have no start at all.
		cut := snippetMax
		for back := 0; back < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); back++ {
			cut--
		}
		s = s[:cut] + "…"
	}
	return r.safe(s)
}
