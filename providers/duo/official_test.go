package duo

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"
)

// recorder answers every request with Duo's empty list and keeps the
// requests, to compare the official client's signatures with ours.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r)
	rec.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"stat":"OK","response":[]}`)), Request: r}, nil
}

// TestSignatureMatchesTheOfficialClient: for the requests the official
// Go client makes (SignedCall, v2 with HMAC-SHA512; JSONSignedCall, v5),
// at the Date it chose, our canonicalization signs byte for byte as it
// does, and our signer's v5 GET is the one JSONSignedCall sends.
func TestSignatureMatchesTheOfficialClient(t *testing.T) {
	rec := &recorder{}
	client := duoapi.NewDuoApi(vecIKey, vecSKey, "api-1a2b3c4d.duosecurity.com", "tether-test")
	client.SetCustomHTTPClient(&http.Client{Transport: rec})
	params := url.Values{"limit": {"1"}, "offset": {"0"}, "username": {"First Last+x~!"}}
	if _, _, err := client.SignedCall(http.MethodGet, "/admin/v1/users", params); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.JSONSignedCall(http.MethodGet, "/admin/v1/users", duoapi.JSONParams{"limit": "1", "offset": "0", "username": "First Last+x~!"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 2 {
		t.Fatalf("the official client sent %d requests, want 2", len(rec.reqs))
	}
	v2, v5 := rec.reqs[0], rec.reqs[1]
	date := v2.Header.Get("Date")
	if got := authorization(vecIKey, vecSKey, canonicalV2(date, "GET", v2.URL.Host, v2.URL.Path, v2.URL.Query())); got != v2.Header.Get("Authorization") {
		t.Errorf("v2: we sign %s, the official client %s", got, v2.Header.Get("Authorization"))
	}
	at, err := time.Parse(dateFormat, v5.Header.Get("Date"))
	if err != nil {
		t.Fatalf("the official client's Date %q is not in our format: %v", v5.Header.Get("Date"), err)
	}
	ours, _ := http.NewRequest(http.MethodGet, v5.URL.String(), nil)
	_ = signer{ikey: vecIKey, skey: vecSKey, now: func() time.Time { return at }}.sign(ours)
	if ours.Header.Get("Date") != v5.Header.Get("Date") || ours.Header.Get("Authorization") != v5.Header.Get("Authorization") {
		t.Errorf("v5: we send Date %q and %s, the official client %q and %s",
			ours.Header.Get("Date"), ours.Header.Get("Authorization"), v5.Header.Get("Date"), v5.Header.Get("Authorization"))
	}
}
