package duotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"
)

// handlerTransport serves requests with an http.Handler in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

var t0 = time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)

func server(opts Options, grants ...string) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Accounts = append(opts.Accounts, Demo(grants, opts.Now()))
	return New(opts)
}

// official is the official Go client pointed at s's demo account.
func official(s *Server, skey string) *duoapi.DuoApi {
	c := duoapi.NewDuoApi(DemoIKey, skey, DemoHost, "duotest")
	c.SetCustomHTTPClient(&http.Client{Transport: handlerTransport{s}})
	return c
}

func wantFail(t *testing.T, what string, status int, body []byte, gotStatus, code int, message string) {
	t.Helper()
	var f failure
	if err := json.Unmarshal(body, &f); err != nil || gotStatus != status || f.Code != code || f.Message != message || f.Stat != "FAIL" {
		t.Errorf("%s = %d %s, want %d {code %d, message %q, stat FAIL}", what, gotStatus, body, status, code, message)
	}
}

// TestOfficialClientAccepted: what the official Go client sends (v2 with
// HMAC-SHA512, form bodies, + for spaces; v5 with JSON bodies) verifies;
// the same request with another secret key is 401 40103.
func TestOfficialClientAccepted(t *testing.T) {
	s := server(Options{}, GrantReadResource, GrantWriteResource)
	c := official(s, DemoSKey)
	resp, body, err := c.SignedCall(http.MethodGet, "/admin/v1/users", url.Values{"limit": {"1"}, "username": {"Joe Smith"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("SignedCall GET = %v %s %v", resp.StatusCode, body, err)
	}
	resp, body, err = c.JSONSignedCall(http.MethodGet, "/admin/v1/users", duoapi.JSONParams{"limit": "1", "offset": "0"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("JSONSignedCall GET = %v %s %v", resp.StatusCode, body, err)
	}
	resp, body, err = c.SignedCall(http.MethodPost, "/admin/v1/users", url.Values{"username": {"form.user"}, "realname": {"Form User"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("SignedCall POST = %v %s %v", resp.StatusCode, body, err)
	}
	resp, body, err = c.JSONSignedCall(http.MethodPost, "/admin/v1/users", duoapi.JSONParams{"username": "json.user"})
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"json.user"`) {
		t.Fatalf("JSONSignedCall POST = %v %s %v", resp.StatusCode, body, err)
	}
	resp, body, _ = official(s, strings.Repeat("k", 40)).SignedCall(http.MethodGet, "/admin/v1/users", nil)
	wantFail(t, "a wrong secret key", 401, body, resp.StatusCode, 40103, "Invalid signature in request credentials")
}

// signed builds a GET signed by hand: v2 with HMAC-SHA1 over canon (the
// canonical parameter line as the client computed it).
func signed(target, date, skey, ikey, canon string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	lines := strings.Join([]string{date, "GET", r.Host, r.URL.Path, canon}, "\n")
	m := hmac.New(sha1.New, []byte(skey))
	m.Write([]byte(lines))
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ikey+":"+hex.EncodeToString(m.Sum(nil)))))
	return r
}

func TestSignatureChecks(t *testing.T) {
	s := server(Options{Now: func() time.Time { return t0 }}, GrantReadResource)
	date := t0.Format(time.RFC1123Z)
	users := "https://" + DemoHost + "/admin/v1/users?limit=1&offset=0"
	tests := []struct {
		name    string
		req     func() *http.Request
		status  int
		code    int
		message string
	}{
		{"v2 HMAC-SHA1 with Python's -0000", func() *http.Request {
			d := strings.Replace(date, "+0000", "-0000", 1)
			return signed(users, d, DemoSKey, DemoIKey, "limit=1&offset=0")
		}, 200, 0, ""},
		{"no credentials", func() *http.Request { return httptest.NewRequest(http.MethodGet, users, nil) }, 401, 40101, "Missing request credentials"},
		{"not Basic", func() *http.Request {
			r := signed(users, date, DemoSKey, DemoIKey, "limit=1&offset=0")
			r.Header.Set("Authorization", "Bearer x")
			return r
		}, 401, 40101, "Missing request credentials"},
		{"unknown integration key", func() *http.Request { return signed(users, date, DemoSKey, "DIAAAAAAAAAAAAAAAAAA", "limit=1&offset=0") }, 401, 40102, "Invalid identity in request credentials"},
		{"another host", func() *http.Request {
			return signed(strings.Replace(users, DemoHost, "api-00000000.duosecurity.com", 1), date, DemoSKey, DemoIKey, "limit=1&offset=0")
		}, 401, 40102, "Invalid identity in request credentials"},
		{"wrong secret key", func() *http.Request {
			return signed(users, date, strings.Repeat("z", 40), DemoIKey, "limit=1&offset=0")
		}, 401, 40103, "Invalid signature in request credentials"},
		{"unsorted parameters signed", func() *http.Request { return signed(users, date, DemoSKey, DemoIKey, "offset=0&limit=1") }, 401, 40103, "Invalid signature in request credentials"},
		{"raw query signed with +", func() *http.Request {
			return signed("https://"+DemoHost+"/admin/v1/users?username=a+b", date, DemoSKey, DemoIKey, "username=a+b")
		}, 401, 40103, "Invalid signature in request credentials"},
		{"+ decoded to %20", func() *http.Request {
			return signed("https://"+DemoHost+"/admin/v1/users?username=a+b", date, DemoSKey, DemoIKey, "username=a%20b")
		}, 200, 0, ""},
		{"uppercase hex signature", func() *http.Request {
			r := signed(users, date, DemoSKey, DemoIKey, "limit=1&offset=0")
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(strings.ToUpper(string(raw)))))
			return r
		}, 401, 40103, "Invalid signature in request credentials"},
		{"date ten minutes old", func() *http.Request {
			return signed(users, t0.Add(-10*time.Minute).Format(time.RFC1123Z), DemoSKey, DemoIKey, "limit=1&offset=0")
		}, 401, 40105, "Bad request timestamp"},
		{"date not RFC 2822", func() *http.Request {
			return signed(users, t0.Format(time.RFC3339), DemoSKey, DemoIKey, "limit=1&offset=0")
		}, 401, 40105, "Bad request timestamp"},
		{"X-Duo-Date is the one read", func() *http.Request {
			r := signed(users, date, DemoSKey, DemoIKey, "limit=1&offset=0")
			r.Header.Set("X-Duo-Date", date)
			r.Header.Set("Date", "Mon, 01 Jan 2001 00:00:00 +0000")
			return r
		}, 200, 0, ""},
		{"unknown path, signed", func() *http.Request {
			return signed("https://"+DemoHost+"/admin/v1/nothing", date, DemoSKey, DemoIKey, "")
		}, 404, 40401, "Resource not found"},
		{"grant missing", func() *http.Request {
			return signed("https://"+DemoHost+"/admin/v1/info/summary", date, DemoSKey, DemoIKey, "")
		}, 403, 40301, "Access forbidden"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, tt.req())
		if tt.status == 200 {
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"stat":"OK"`) {
				t.Errorf("%s = %d %s, want 200", tt.name, rec.Code, rec.Body)
			}
			continue
		}
		wantFail(t, tt.name, tt.status, rec.Body.Bytes(), rec.Code, tt.code, tt.message)
	}
}

// TestContractVectors: the contract's GET vectors for each signature
// version verify.
func TestContractVectors(t *testing.T) {
	date := "Tue, 21 Aug 2012 17:29:18 -0000"
	r := httptest.NewRequest(http.MethodGet, "https://api-xxxxxxxx.duosecurity.com/admin/v1/users?limit=1&offset=0", nil)
	params := r.URL.Query()
	for name, sig := range map[string]string{
		"v2/SHA1":   "0b9a38046ebe684d680a95297ace50ce3645dd43",
		"v2/SHA512": "ea0e389e2f00ea92c286cceae1214b8b818420a63be339c038da9eefe9e98f1d7444e1a355e7cadb6aa7c980bba2941d1bfa59dc6fd73858e5ff42e396ad777b",
		"v5":        "1533738976181aa0bd683ee64bf20bfd58453ef7f471bcbf3cddb27c9693bc8b54466309cb6c8a6d34af36376df6d437be2c70fc861e84267f977cc095cfa134",
	} {
		if !verify("Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep", sig, date, r, params, nil, false) {
			t.Errorf("%s vector refused", name)
		}
		if verify("Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Eq", sig, date, r, params, nil, false) {
			t.Errorf("%s vector accepted with another key", name)
		}
	}
}

func get(t *testing.T, s *Server, pathAndQuery string) (int, map[string]any, http.Header) {
	t.Helper()
	u, _ := url.Parse(pathAndQuery)
	resp, body, err := official(s, DemoSKey).JSONSignedCall(http.MethodGet, u.Path, jsonQuery(u.Query()))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	_ = json.Unmarshal(body, &env)
	return resp.StatusCode, env, resp.Header
}

func jsonQuery(q url.Values) duoapi.JSONParams {
	p := duoapi.JSONParams{}
	for k := range q {
		p[k] = q.Get(k)
	}
	return p
}

func TestUsersPagination(t *testing.T) {
	s := server(Options{}, GrantReadResource)
	_, env, _ := get(t, s, "/admin/v1/users?limit=2")
	meta, _ := env["metadata"].(map[string]any)
	if n := len(env["response"].([]any)); n != 2 || meta["next_offset"] != float64(2) || meta["total_objects"] != float64(3) {
		t.Errorf("first page = %v", env)
	}
	_, env, _ = get(t, s, "/admin/v1/users?limit=2&offset=2")
	meta, _ = env["metadata"].(map[string]any)
	if _, has := meta["next_offset"]; has || len(env["response"].([]any)) != 1 || meta["prev_offset"] != float64(0) {
		t.Errorf("last page = %v", env)
	}
	if status, env, _ := get(t, s, "/admin/v1/users?limit=zero"); status != 400 || env["code"] != float64(40002) {
		t.Errorf("limit=zero = %d %v, want 400 40002", status, env)
	}
}

func TestAuthLogs(t *testing.T) {
	now := time.Now()
	s := server(Options{Now: func() time.Time { return now }}, GrantReadLog)
	ms := func(d time.Duration) string { return strconvMs(now.Add(-d)) }
	tests := []struct {
		name, query, detail string
	}{
		{"no mintime", "maxtime=" + ms(0), "'mintime' must be a timestamp in milliseconds"},
		{"seconds, not milliseconds", "mintime=" + ms(time.Hour)[:10] + "&maxtime=" + ms(0), "'mintime' must be a timestamp in milliseconds"},
		{"older than 180 days", "mintime=" + ms(181*24*time.Hour) + "&maxtime=" + ms(0), "mintime must be within the past 180 days"},
		{"mintime after maxtime", "mintime=" + ms(0) + "&maxtime=" + ms(time.Hour), "mintime must be strictly less than maxtime"},
	}
	for _, tt := range tests {
		status, env, _ := get(t, s, "/admin/v2/logs/authentication?"+tt.query)
		if status != 400 || env["code"] != float64(40002) || env["message_detail"] != tt.detail {
			t.Errorf("%s = %d %v, want 400 40002 %q", tt.name, status, env, tt.detail)
		}
	}
	window := "mintime=" + ms(2*time.Hour) + "&maxtime=" + ms(2*time.Minute)
	_, env, _ := get(t, s, "/admin/v2/logs/authentication?limit=1&"+window)
	resp := env["response"].(map[string]any)
	next := resp["metadata"].(map[string]any)["next_offset"].([]any)
	if len(resp["authlogs"].([]any)) != 1 || len(next) != 2 {
		t.Fatalf("first page = %v", env)
	}
	_, env, _ = get(t, s, "/admin/v2/logs/authentication?limit=1&"+window+"&next_offset="+next[0].(string)+","+next[1].(string))
	resp = env["response"].(map[string]any)
	if logs := resp["authlogs"].([]any); len(logs) != 1 || resp["metadata"].(map[string]any)["next_offset"] != nil {
		t.Errorf("second page = %v, want the last event and next_offset null", env)
	}
}

func strconvMs(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// TestRateLimit: past the limit Duo answers 429 42901 and sends no
// rate-limit header at all.
func TestRateLimit(t *testing.T) {
	s := server(Options{RateLimit: 1}, GrantReadResource)
	if status, _, _ := get(t, s, "/admin/v1/users?limit=1"); status != 200 {
		t.Fatalf("first request = %d", status)
	}
	rec := httptest.NewRecorder()
	date := time.Now().UTC().Format(time.RFC1123Z)
	s.ServeHTTP(rec, signed("https://"+DemoHost+"/admin/v1/users?limit=1", date, DemoSKey, DemoIKey, "limit=1"))
	wantFail(t, "over the limit", 429, rec.Body.Bytes(), rec.Code, 42901, "Too Many Requests")
	for k := range rec.Header() {
		if strings.Contains(strings.ToLower(k), "ratelimit") || k == "Retry-After" {
			t.Errorf("429 carries %s: Duo sends no rate-limit headers", k)
		}
	}
}

// TestServerClock: the server's Date is its own clock, offset as asked.
func TestServerClock(t *testing.T) {
	s := server(Options{Now: func() time.Time { return t0 }, ClockOffset: 10 * time.Minute})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://"+DemoHost+"/admin/v1/users", nil))
	if got := rec.Header().Get("Date"); got != t0.Add(10*time.Minute).Format(http.TimeFormat) {
		t.Errorf("Date = %q, want the server's clock", got)
	}
}
