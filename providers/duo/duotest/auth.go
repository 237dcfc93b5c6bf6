package duotest

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// call is a request that passed the signature check.
type call struct {
	account *Account
	params  url.Values
}

// maxBody bounds a request body, far above any Admin API request.
const maxBody = 1 << 20

// signed wraps an endpoint: the request must name a known account by its
// host and integration by its key, carry a Date within the window and a
// signature that matches one of the versions the service accepts, stay
// within the rate limit, and (when grant is set) come from an
// integration with that grant. The account is locked while h runs.
func (s *Server) signed(grant string, logs bool, h func(http.ResponseWriter, *http.Request, *call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ikey, sig, ok := basicAuth(r.Header.Get("Authorization"))
		if !ok {
			s.fail(w, http.StatusUnauthorized, 40101, "Missing request credentials", "")
			return
		}
		if r.Body == nil {
			r.Body = http.NoBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", "the request body could not be read")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		acct, in := s.integration(oauthtest.RequestHost(r), ikey)
		if in == nil {
			s.fail(w, http.StatusUnauthorized, 40102, "Invalid identity in request credentials", "")
			return
		}
		dateHeader := cmp.Or(r.Header.Get("X-Duo-Date"), r.Header.Get("Date"))
		date, ok := parseDate(dateHeader)
		now := s.opts.Now().Add(s.offset)
		if !ok || date.Sub(now).Abs() > s.opts.SkewWindow {
			s.fail(w, http.StatusUnauthorized, 40105, "Bad request timestamp", "")
			return
		}
		params, jsonBody, ok := requestParams(r, body)
		if !ok {
			s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", "the body is neither a form nor JSON")
			return
		}
		if !verify(in.SKey, sig, dateHeader, r, params, body, jsonBody) {
			s.fail(w, http.StatusUnauthorized, 40103, "Invalid signature in request credentials", "")
			return
		}
		if !s.take(in.IKey, r.URL.Path, logs, now) {
			s.fail(w, http.StatusTooManyRequests, 42901, "Too Many Requests", "")
			return
		}
		if grant != "" && !slices.Contains(in.Grants, grant) {
			s.fail(w, http.StatusForbidden, 40301, "Access forbidden", "")
			return
		}
		if jsonBody {
			params = jsonParams(body)
		}
		h(w, r, &call{account: acct, params: params})
	}
}

// integration finds the integration ikey of the account at host.
func (s *Server) integration(host, ikey string) (*Account, *Integration) {
	for i := range s.accounts {
		if !strings.EqualFold(s.accounts[i].Host, host) {
			continue
		}
		for j := range s.accounts[i].Integrations {
			if s.accounts[i].Integrations[j].IKey == ikey {
				return &s.accounts[i], &s.accounts[i].Integrations[j]
			}
		}
	}
	return nil, nil
}

// take counts a request against the integration's bucket for the
// endpoint for this minute (Duo limits each log, and each kind of
// object request, on its own).
func (s *Server) take(ikey, path string, logs bool, now time.Time) bool {
	key, limit := ikey+" "+path, s.opts.RateLimit
	if logs {
		limit = s.opts.LogRateLimit
	}
	b := s.buckets[key]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{reset: now.Add(time.Minute)}
		s.buckets[key] = b
	}
	b.n++
	return b.n <= limit
}

// basicAuth reads Authorization: Basic base64(ikey:hexsig).
func basicAuth(h string) (ikey, sig string, ok bool) {
	enc, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	ikey, sig, ok = strings.Cut(string(raw), ":")
	return ikey, sig, ok && ikey != "" && sig != ""
}

// parseDate reads an RFC 2822 date as the clients send it: Go's
// RFC1123Z ("+0000"), Python's formatdate ("-0000"), or GMT.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// requestParams are the parameters a request was signed over: the
// decoded query of a GET or DELETE (spaces may arrive as +, the
// signature has %20), the form body of a v2 POST or PUT, or none for a
// v5 JSON body, which is hashed instead.
func requestParams(r *http.Request, body []byte) (params url.Values, jsonBody bool, ok bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, false, false
	}
	if r.Method == http.MethodGet || r.Method == http.MethodDelete || len(body) == 0 {
		return q, false, true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		return q, json.Valid(body), json.Valid(body)
	case "application/x-www-form-urlencoded":
		f, err := url.ParseQuery(string(body))
		return f, false, err == nil
	}
	return nil, false, false
}

// jsonParams are the string members of a v5 JSON body, for the endpoint.
func jsonParams(body []byte) url.Values {
	var obj map[string]any
	out := url.Values{}
	if json.Unmarshal(body, &obj) == nil {
		for k, v := range obj {
			if s, ok := v.(string); ok {
				out.Set(k, s)
			}
		}
	}
	return out
}

// verify checks sig against every signature version the service
// accepts (§2.2 emulator verification): v2 with HMAC-SHA1 or
// HMAC-SHA512, and v5 with the X-Duo-* headers' hash with or without
// X-Duo-Date. The signature is lowercase hex, 40 or 128 characters.
func verify(skey, sig, date string, r *http.Request, params url.Values, body []byte, jsonBody bool) bool {
	want, err := hex.DecodeString(sig)
	if err != nil || sig != strings.ToLower(sig) {
		return false
	}
	lines := []string{date, strings.ToUpper(r.Method), strings.ToLower(oauthtest.RequestHost(r)), r.URL.EscapedPath(), canonical(params)}
	v2 := strings.Join(lines, "\n")
	mac := func(h func() hash.Hash, msg string) []byte {
		m := hmac.New(h, []byte(skey))
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	if !jsonBody && (hmac.Equal(want, mac(sha1.New, v2)) || hmac.Equal(want, mac(sha512.New, v2))) {
		return true
	}
	for _, withDate := range []bool{false, true} {
		v5 := v2 + "\n" + hexSHA512(body) + "\n" + hexSHA512(duoHeaders(r.Header, withDate))
		if hmac.Equal(want, mac(sha512.New, v5)) {
			return true
		}
	}
	return false
}

// duoHeaders is the canonical X-Duo-* header block of signature v5:
// lowercased names, sorted, name NUL value NUL… (duo_client_python
// canonicalize_x_duo_headers).
func duoHeaders(h http.Header, withDate bool) []byte {
	var names []string
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-duo-") && (withDate || lk != "x-duo-date") {
			names = append(names, lk)
		}
	}
	slices.Sort(names)
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(n)
		b.WriteByte(0)
		b.WriteString(h.Get(n))
	}
	return b.Bytes()
}

func hexSHA512(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// canonical is the canonical parameter string, computed the way
// duo_client_python's canon_params does: quote every key and value
// (unreserved characters and ~ kept), sort by quoted key, then by quoted
// value.
func canonical(params url.Values) string {
	type kv struct{ k, v string }
	var all []kv
	for k, vs := range params {
		qk := quote(k)
		for _, v := range vs {
			all = append(all, kv{qk, quote(v)})
		}
	}
	slices.SortFunc(all, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range all {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// quote is urllib.parse.quote(s, '~'): %XX for every byte but the
// unreserved ones.
func quote(s string) string {
	// url.PathEscape leaves sub-delimiters and : @ unescaped; escape the
	// bytes by hand instead.
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// failure is Duo's failure envelope, its keys in Duo's alphabetical order.
type failure struct {
	Code          int    `json:"code"`
	Message       string `json:"message"`
	MessageDetail string `json:"message_detail,omitempty"`
	Stat          string `json:"stat"`
}

func (s *Server) fail(w http.ResponseWriter, status, code int, message, detail string) {
	oauthtest.WriteJSON(w, status, failure{Code: code, Message: message, MessageDetail: detail, Stat: "FAIL"})
}

// ok writes Duo's success envelope around response, with v1 paging
// metadata at the top level when there is some.
func ok(w http.ResponseWriter, response any, metadata any) {
	env := map[string]any{"stat": "OK", "response": response}
	if metadata != nil {
		env["metadata"] = metadata
	}
	oauthtest.WriteJSON(w, http.StatusOK, env)
}
