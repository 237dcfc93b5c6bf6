package flows

import (
	"slices"
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header (RFC 9110
// §11.6.1), such as the DPoP challenge of RFC 9449 §7.1 or the Bearer one
// of RFC 6750 §3: `DPoP error="use_dpop_nonce", algs="ES256 RS256"`.
type Challenge struct {
	Scheme string
	// Params are the auth-params by lower-case name, unquoted; the first
	// of a repeated name counts.
	Params map[string]string
	// Token68 is the challenge's token68, when it has one instead of
	// auth-params.
	Token68 string
}

// ParseChallenges reads the challenges of WWW-Authenticate header values
// (http.Header.Values): one header may hold several, separated by commas.
// It skips what it cannot read, and never fails.
func ParseChallenges(values []string) []Challenge {
	var out []Challenge
	for _, v := range values {
		out = append(out, parseChallenges(v)...)
	}
	return out
}

func parseChallenges(s string) []Challenge {
	var out []Challenge
	for i := 0; ; {
		i = skipAny(s, i, " \t,")
		if i >= len(s) {
			return out
		}
		tok, j := readToken(s, i)
		if tok == "" {
			i++ // not a token: skip the character
			continue
		}
		k := skipAny(s, j, " \t")
		if len(out) > 0 && k < len(s) && s[k] == '=' {
			v, next, ok := readParamValue(s, skipAny(s, k+1, " \t"))
			if ok {
				c := &out[len(out)-1]
				if _, dup := c.Params[strings.ToLower(tok)]; !dup && c.Token68 == "" {
					c.Params[strings.ToLower(tok)] = v
				}
			}
			i = next // past the value, or past what could not be read
			continue
		}
		// tok is a scheme; a token68 may follow it.
		out = append(out, Challenge{Scheme: tok, Params: map[string]string{}})
		i = k
		if k > j {
			if t68, next, ok := readToken68(s, k); ok {
				out[len(out)-1].Token68 = t68
				i = next
			}
		}
	}
}

func skipAny(s string, i int, set string) int {
	for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
		i++
	}
	return i
}

// isTchar: tchar of RFC 9110 §5.6.2.
func isTchar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func readToken(s string, i int) (string, int) {
	j := i
	for j < len(s) && isTchar(s[j]) {
		j++
	}
	return s[i:j], j
}

// readParamValue reads a token or a quoted-string. When there is neither,
// it returns where the next item starts: after the next comma, or the
// end for an unterminated quoted-string.
func readParamValue(s string, i int) (string, int, bool) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				if j+1 < len(s) {
					j++
					b.WriteByte(s[j])
				}
			case '"':
				return b.String(), j + 1, true
			default:
				b.WriteByte(s[j])
			}
		}
		return "", len(s), false // unterminated
	}
	v, j := readToken(s, i)
	if v == "" {
		if c := strings.IndexByte(s[i:], ','); c >= 0 {
			return "", i + c + 1, false
		}
		return "", len(s), false
	}
	return v, j, true
}

// readToken68 reads a token68 (RFC 9110 §11.2) that ends the challenge:
// followed only by spaces, then a comma or the end.
func readToken68(s string, i int) (string, int, bool) {
	j := i
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte("-._~+/", s[j]) >= 0) {
		j++
	}
	if j == i {
		return "", i, false
	}
	for j < len(s) && s[j] == '=' {
		j++
	}
	if k := skipAny(s, j, " \t"); k < len(s) && s[k] != ',' {
		return "", i, false
	}
	return s[i:j], j, true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// String formats the challenge as a WWW-Authenticate value, its params in
// name order, every value quoted.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if c.Token68 != "" {
		b.WriteString(" " + c.Token68)
		return b.String()
	}
	names := make([]string, 0, len(c.Params))
	for k := range c.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	for i, k := range names {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(k + `="`)
		for _, r := range []byte(c.Params[k]) {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(r)
		}
		b.WriteByte('"')
	}
	return b.String()
}
