package duo

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetherdev/tether/providers"
)

var testAcct = account{host: "api-1a2b3c4d.duosecurity.com", ikey: "DIWJ8X6AEYOR5OMC6TQ1"}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name, body, code, message string
	}{
		{"numeric code", `{"code": 40301, "message": "Access forbidden", "stat": "FAIL"}`, "40301", "Access forbidden"},
		{"with detail", `{"code":40002,"message":"Invalid request parameters","message_detail":"mintime must be within the past 180 days","stat":"FAIL"}`,
			"40002", "Invalid request parameters (mintime must be within the past 180 days)"},
		{"string code", `{"code":"42901","message":"Too Many Requests","stat":"FAIL"}`, "42901", "Too Many Requests"},
		{"empty code", `{"code":"","message":"Something","stat":"FAIL"}`, "", "Something"},
		{"not JSON", `<html>bad gateway</html>`, "", ""},
		{"code of another type", `{"code":{"x":1},"message":"m"}`, "", "m"},
	}
	for _, tt := range tests {
		code, msg := decodeError(400, []byte(tt.body))
		if code != tt.code || msg != tt.message {
			t.Errorf("%s: decodeError = %q, %q; want %q, %q", tt.name, code, msg, tt.code, tt.message)
		}
	}
}

func answer(status int, code string, body string) providers.Answer {
	return providers.Answer{Request: "GET /admin/v1/users?limit=1&offset=0", Status: status, Code: code, Body: []byte(body),
		Header: http.Header{"Date": {"Wed, 02 Dec 2026 20:10:00 GMT"}}}
}

// TestObserve is the specification of observe: only 200 with Duo's OK
// envelope grants, only 403 40301 is missing, write resource is never
// decided by an answer, and every other answer is no verdict.
func TestObserve(t *testing.T) {
	okBody := `{"stat":"OK","response":[],"metadata":{"total_objects":0}}`
	none := clockOffset{}
	tests := []struct {
		name     string
		grant    string
		a        providers.Answer
		off      clockOffset
		want     providers.Status
		evidence string
	}{
		{"200 OK envelope", grantReadResource, answer(200, "", okBody), none, providers.Granted, "→ 200"},
		{"200 without the envelope", grantReadResource, answer(200, "", `{"users":[]}`), none, providers.Error, "not Duo's"},
		{"200 stat FAIL", grantReadResource, answer(200, "", `{"stat":"FAIL","code":40002}`), none, providers.Error, "not Duo's"},
		{"403 40301", grantReadLog, answer(403, "40301", ""), none, providers.Missing, "Access forbidden"},
		{"403 without 40301", grantReadLog, answer(403, "40399", ""), none, providers.Error, "403"},
		{"401 40103 clock ten minutes off", grantReadLog, answer(401, "40103", ""), clockOffset{d: 10 * time.Minute, known: true}, providers.Error, "clock skew: this machine's clock is 10m0s behind Duo's"},
		{"401 40105 clock ahead", grantReadLog, answer(401, "40105", ""), clockOffset{d: -7 * time.Minute, known: true}, providers.Error, "7m0s ahead of Duo's"},
		{"401 40103 clocks agree", grantReadLog, answer(401, "40103", ""), clockOffset{d: 2 * time.Second, known: true}, providers.Error, "the secret key is not the one"},
		{"401 40105 clocks agree", grantReadLog, answer(401, "40105", ""), clockOffset{known: true}, providers.Error, "stale"},
		{"401 40105 no Date", grantReadLog, answer(401, "40105", ""), none, providers.Error, "no Date"},
		{"401 40102", grantReadResource, answer(401, "40102", ""), none, providers.Error, "does not know integration key DIWJ8X6AEYOR5OMC6TQ1 at api-1a2b3c4d.duosecurity.com"},
		{"401 40101", grantReadResource, answer(401, "40101", ""), none, providers.Error, "no credentials"},
		{"429 after retries", grantReadLog, answer(429, "42901", ""), none, providers.Error, "429"},
		{"500", grantReadLog, answer(500, "50001", ""), none, providers.Error, "500"},
		{"network error", grantReadLog, providers.Answer{Request: "GET /x", Err: errors.New("connection reset")}, none, providers.Error, "connection reset"},
		{"host does not resolve", grantReadLog, providers.Answer{Request: "GET /x", Err: &net.DNSError{Err: "no such host", Name: "api-1a2b3c4d.duosecurity.com", IsNotFound: true}}, none, providers.Error, "no such host"},
		{"write resource is never granted by an answer", grantWriteResource, answer(200, "", okBody), none, providers.Unknown, "tether makes no write"},
		{"write resource unprobed", grantWriteResource, providers.Answer{}, none, providers.Unknown, "tether makes no write"},
	}
	for _, tt := range tests {
		o := observe(tt.grant, tt.a, tt.off, testAcct)
		if o.Status != tt.want || !strings.Contains(o.Evidence, tt.evidence) {
			t.Errorf("%s: observe = %s %q, want %s containing %q", tt.name, o.Status, o.Evidence, tt.want, tt.evidence)
		}
		if tt.name == "host does not resolve" && !strings.Contains(o.Advice, "check the API hostname") {
			t.Errorf("%s: advice %q, want the hostname named", tt.name, o.Advice)
		}
		if o.Status == providers.Error && tt.a.Status == http.StatusUnauthorized && o.Advice == "" {
			t.Errorf("%s: a 401 without advice", tt.name)
		}
	}
}

// TestDiagnoseSentences: wrong secret key, wrong host or key, stale date
// and clock skew each get their own sentence and remedy.
func TestDiagnoseSentences(t *testing.T) {
	skew := clockOffset{d: -10 * time.Minute, known: true}
	agree := clockOffset{known: true}
	cases := map[string]struct {
		code string
		off  clockOffset
		fix  string
	}{
		"skew":       {"40105", skew, "NTP"},
		"secret key": {"40103", agree, "copy the secret key again"},
		"host":       {"40102", agree, "API hostname"},
		"stale":      {"40105", agree, "proxy"},
	}
	seen := map[string]string{}
	for name, c := range cases {
		reason, fix := diagnose(answer(401, c.code, ""), c.off, testAcct)
		if !strings.Contains(fix, c.fix) {
			t.Errorf("%s: fix %q, want it to mention %q", name, fix, c.fix)
		}
		if other, dup := seen[reason]; dup {
			t.Errorf("%s and %s share the sentence %q", name, other, reason)
		}
		seen[reason] = name
	}
}

func TestAPIHostname(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"api-1a2b3c4d.duosecurity.com", "api-1a2b3c4d.duosecurity.com", true},
		{"https://API-1A2B3C4D.duosecurity.com/", "api-1a2b3c4d.duosecurity.com", true},
		{"api-1a2b3c4d.duofederal.com", "api-1a2b3c4d.duofederal.com", true},
		{"admin-1a2b3c4d.duosecurity.com", "", false},
		{"api-1a2b3c4.duosecurity.com", "", false},
		{"api-1a2b3c4d.duosecurity.com.evil.example", "", false},
		{"api-1a2b3c4d.duosecurity.com@evil.example", "", false},
		{"https://api-1a2b3c4d.duosecurity.com/admin/v1", "", false},
		{"api-1a2b3c4d.duosecurity.com:8443", "", false},
		{"http://api-1a2b3c4d.duosecurity.com", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := APIHostname(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("APIHostname(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "api-1a2b3c4d.duosecurity.com") {
			t.Errorf("APIHostname(%q): %v does not show a good value", tt.in, err)
		}
	}
}

func TestKeyFormats(t *testing.T) {
	ikeys := []struct {
		in string
		ok bool
	}{
		{"DIWJ8X6AEYOR5OMC6TQ1", true},
		{" DIWJ8X6AEYOR5OMC6TQ1 ", true},
		{"diwj8x6aeyor5omc6tq1", false},
		{"DIWJ8X6AEYOR5OMC6TQ", false},
		{"XXWJ8X6AEYOR5OMC6TQ1", false},
		{"DIWJ8X6AEYOR5OMC6TQ1X", false},
	}
	for _, tt := range ikeys {
		if err := validIntegrationKey(tt.in); (err == nil) != tt.ok {
			t.Errorf("validIntegrationKey(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
	const canarySKey = "CanarySecretKey0000000000000000000000001"
	skeys := []struct {
		in, why string
	}{
		{canarySKey, ""},
		{canarySKey[:39], "39 characters"},
		{canarySKey + "2", "41 characters"},
		{canarySKey[:20] + " " + canarySKey[21:], "spaces"},
		{canarySKey[:39] + "!", "other than letters"},
	}
	// A secret key pasted into another field is not echoed either.
	if err := validIntegrationKey(canarySKey); err == nil || strings.Contains(err.Error(), "Canary") {
		t.Errorf("validIntegrationKey(secret key) = %v", err)
	}
	if _, err := APIHostname(canarySKey); err == nil || strings.Contains(err.Error(), "Canary") {
		t.Errorf("APIHostname(secret key) = %v", err)
	}
	for _, tt := range skeys {
		err := validSecretKey(tt.in)
		switch {
		case tt.why == "" && err != nil:
			t.Errorf("validSecretKey(good) = %v", err)
		case tt.why != "" && (err == nil || !strings.Contains(err.Error(), tt.why)):
			t.Errorf("validSecretKey(bad) = %v, want it to say %q", err, tt.why)
		case err != nil && strings.Contains(err.Error(), "Canary"):
			t.Errorf("validSecretKey quotes the key: %v", err)
		}
	}
}

// FuzzDecodeError: any body decodes without a panic; a failure envelope
// built from the inputs gives its code and message back.
func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`{"code":40301,"message":"Access forbidden","stat":"FAIL"}`), 40103, "Invalid signature in request credentials")
	f.Add([]byte(`{"code":""}`), 0, "")
	f.Add([]byte(`[`), 42901, "Too Many Requests")
	f.Fuzz(func(t *testing.T, body []byte, code int, message string) {
		decodeError(400, body)
		env, err := json.Marshal(map[string]any{"code": code, "message": message, "stat": "FAIL"})
		if err != nil {
			return
		}
		gotCode, gotMsg := decodeError(401, env)
		var want string
		_ = json.Unmarshal(env, &struct{ Message *string }{&want})
		if gotCode != strconv.Itoa(code) || gotMsg != want {
			t.Fatalf("decodeError(%s) = %q, %q; want %d, %q", env, gotCode, gotMsg, code, want)
		}
	})
}
