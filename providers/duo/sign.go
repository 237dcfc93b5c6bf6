package duo

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The Admin API authenticates every request by an HMAC over a canonical
// form of it (§2.2, duo_api_golang duoapi.go, duo_client_python
// client.py). The official Go client cannot sign a request it does not
// send itself (its signer is unexported and it retries on its own), so
// the canonicalization is reproduced here and proven against its
// known-answer vectors (sign_test.go) and its own requests
// (official_test.go).

// dateFormat is the Date the official Go client sends: RFC 1123 with a
// numeric zone, in UTC ("Tue, 21 Aug 2012 17:29:18 +0000").
const dateFormat = time.RFC1123Z

// canonParams is the canonical parameter string: every key and value
// percent-encoded with only A-Z a-z 0-9 - . _ ~ left as they are,
// sorted by encoded key and then encoded value, joined by & (RFC 5849
// §3.4.1.3.2), as duo_client_python's canon_params does. (duo_api_golang
// sorts the keys before encoding them, which orders the same for keys of
// unreserved characters, the only ones tether sends.)
func canonParams(params url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range params {
		for _, v := range vs {
			pairs = append(pairs, pair{encode(k), encode(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(strings.Compare(a.k, b.k), strings.Compare(a.v, b.v)) })
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// encode percent-encodes s with uppercase hex, leaving only the
// unreserved characters.
func encode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalV2 is the five-line canonical request of signature v2.
func canonicalV2(date, method, host, path string, params url.Values) string {
	return strings.Join([]string{date, strings.ToUpper(method), strings.ToLower(host), path, canonParams(params)}, "\n")
}

// canonicalV5 is the seven-line canonical request of signature v5: the
// v2 lines, the SHA-512 of the body, and that of the extra X-Duo-*
// headers (none are sent, as the official clients send none).
func canonicalV5(date, method, host, path string, params url.Values, body []byte) string {
	return canonicalV2(date, method, host, path, params) + "\n" + sha512Hex(body) + "\n" + sha512Hex(nil)
}

func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// authorization is the Authorization header for a canonical request:
// Basic base64(ikey:hex(HMAC-SHA512(skey, canonical))).
func authorization(ikey, skey, canonical string) string {
	mac := hmac.New(sha512.New, []byte(skey))
	mac.Write([]byte(canonical))
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+hex.EncodeToString(mac.Sum(nil))))
}

// signer signs Admin API requests with one application's keys.
type signer struct {
	ikey, skey string
	now        func() time.Time
}

// sign sets a GET or DELETE request's Date and Authorization (signature
// v5 over its query, which the server decodes and canonicalizes again):
// called on every attempt, so that a retry carries a fresh Date.
func (s signer) sign(r *http.Request) error {
	if r.ContentLength > 0 {
		return errors.New("duo: the signer signs requests without a body; a body would need its hash signed")
	}
	date := s.now().UTC().Format(dateFormat)
	params := r.URL.Query()
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", authorization(s.ikey, s.skey, canonicalV5(date, r.Method, r.URL.Hostname(), r.URL.EscapedPath(), params, nil)))
	return nil
}
