package duo

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// The known-answer vectors of the official clients: duo_api_golang
// duo_test.go (TestCanonicalize, TestSimple … TestUnicodeFuzzKeysAndValues,
// TestSign, TestSignV5, TestCanonicalizeV2, TestCanonicalizeV5) and
// duo_client_python tests/test_client.py, as the contract quotes them.
const (
	vecIKey = "DIWJ8X6AEYOR5OMC6TQ1"
	vecSKey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
	vecDate = "Tue, 21 Aug 2012 17:29:18 -0000"
	vecHost = "api-XXXXXXXX.duosecurity.com"
)

func TestCanonParamsVectors(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"simple", url.Values{"realname": {"First Last"}, "username": {"root"}}, "realname=First%20Last&username=root"},
		{"zero", url.Values{}, ""},
		{"one", url.Values{"realname": {"First Last"}}, "realname=First%20Last"},
		{"repeated key, values sorted", url.Values{"username": {"H ell?o"}, "password": {"H-._~i", "A(!'*)"}},
			"password=A%28%21%27%2A%29&password=H-._~i&username=H%20ell%3Fo"},
		{"printable ascii", url.Values{
			"digits":      {"0123456789"},
			"letters":     {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
			"punctuation": {"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
			"whitespace":  {"\t\n\x0b\x0c\r "},
		}, "digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~&whitespace=%09%0A%0B%0C%0D%20"},
		{"common prefix", url.Values{"foo": {"1"}, "foo_bar": {"2"}}, "foo=1&foo_bar=2"},
		{"unicode values", url.Values{"bar": {"⠕ꪣ㟏䮷㛩찅暎腢슽ꇱ"}, "baz": {"ෳ蒽噩馅뢤갺篧潩鍊뤜"}, "foo": {"퓎훖礸僀訠輕ﴋ耤岳왕"}, "qux": {"讗졆-芎茚쳊ꋔ谾뢲馾"}},
			"bar=%E2%A0%95%EA%AA%A3%E3%9F%8F%E4%AE%B7%E3%9B%A9%EC%B0%85%E6%9A%8E%E8%85%A2%EC%8A%BD%EA%87%B1&baz=%E0%B7%B3%E8%92%BD%E5%99%A9%E9%A6%85%EB%A2%A4%EA%B0%BA%E7%AF%A7%E6%BD%A9%E9%8D%8A%EB%A4%9C&foo=%ED%93%8E%ED%9B%96%E7%A4%B8%E5%83%80%E8%A8%A0%E8%BC%95%EF%B4%8B%E8%80%A4%E5%B2%B3%EC%99%95&qux=%E8%AE%97%EC%A1%86-%E8%8A%8E%E8%8C%9A%EC%B3%8A%EA%8B%94%E8%B0%BE%EB%A2%B2%E9%A6%BE"},
		{"unicode keys and values", unicodeParams, unicodeCanon},
	}
	for _, tt := range tests {
		if got := canonParams(tt.params); got != tt.want {
			t.Errorf("%s: canonParams(%v) = %q, want %q", tt.name, tt.params, got, tt.want)
		}
	}
}

var unicodeParams = url.Values{
	"䚚⡻㗐軳朧倪ࠐ킑È셰": {"ཅ᩶㐚敌숿鬉ꯢ荃ᬧ惐"},
	"瑉繋쳻姿﹟获귌逌쿑砓": {"趷倢鋓䋯⁽蜰곾嘗ॆ丰"},
	"瑰錔逜麮䃘䈁苘豰ᴱꁂ": {"៙ந鍘꫟ꐪ䢾ﮖ濩럿㋳"},
	"싅Ⱍ☠㘗隳F蘅⃨갡头": {"ﮩ䆪붃萋☕㹮攭ꢵ핫U"},
}

const unicodeCanon = "%E4%9A%9A%E2%A1%BB%E3%97%90%E8%BB%B3%E6%9C%A7%E5%80%AA%E0%A0%90%ED%82%91%C3%88%EC%85%B0=%E0%BD%85%E1%A9%B6%E3%90%9A%E6%95%8C%EC%88%BF%E9%AC%89%EA%AF%A2%E8%8D%83%E1%AC%A7%E6%83%90&%E7%91%89%E7%B9%8B%EC%B3%BB%E5%A7%BF%EF%B9%9F%E8%8E%B7%EA%B7%8C%E9%80%8C%EC%BF%91%E7%A0%93=%E8%B6%B7%E5%80%A2%E9%8B%93%E4%8B%AF%E2%81%BD%E8%9C%B0%EA%B3%BE%E5%98%97%E0%A5%86%E4%B8%B0&%E7%91%B0%E9%8C%94%E9%80%9C%E9%BA%AE%E4%83%98%E4%88%81%E8%8B%98%E8%B1%B0%E1%B4%B1%EA%81%82=%E1%9F%99%E0%AE%A8%E9%8D%98%EA%AB%9F%EA%90%AA%E4%A2%BE%EF%AE%96%E6%BF%A9%EB%9F%BF%E3%8B%B3&%EC%8B%85%E2%B0%9D%E2%98%A0%E3%98%97%E9%9A%B3F%E8%98%85%E2%83%A8%EA%B0%A1%E5%A4%B4=%EF%AE%A9%E4%86%AA%EB%B6%83%E8%90%8B%E2%98%95%E3%B9%AE%E6%94%AD%EA%A2%B5%ED%95%ABU"

func TestCanonicalVectors(t *testing.T) {
	if got, want := canonicalV2("Fri, 07 Dec 2012 17:18:00 -0000", "PoSt", "foO.BAr52.cOm", "/Foo/BaR2/qux", unicodeParams),
		"Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n"+unicodeCanon; got != want {
		t.Errorf("canonicalV2 = %q, want %q", got, want)
	}
	body := `{"activation_code":"duo://x1bTAIQGWXppdi2ctPVn-YXBpLWR1bzEuZHVvLnRlc3Q","user_id":"DU439XKOX2W6LMYHWLEV"}`
	want := `Fri, 07 Dec 2012 17:18:00 -0000
POST
foo.example.com
/Foo/BaR2/qux
username=H%20ell%3Fo
9ddab7d898836a76fafbb0dcef7bc83f14036b39bbb1ebbe43044f7c76338fa699eba8f0d3ecb329a084f32ef23c8a1609efad25032923b651e6f3f6d2f7b773
cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e`
	if got := canonicalV5("Fri, 07 Dec 2012 17:18:00 -0000", "post", "FOO.example.CoM", "/Foo/BaR2/qux", url.Values{"username": {"H ell?o"}}, []byte(body)); got != want {
		t.Errorf("canonicalV5 = %q, want %q", got, want)
	}
}

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, canonical, want string
	}{
		{"v2 HMAC-SHA512 (TestSign)", canonicalV2(vecDate, "POST", vecHost, "/accounts/v1/account/list", url.Values{"realname": {"First Last"}, "username": {"root"}}),
			"Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY="},
		{"v5 (TestSignV5)", canonicalV5(vecDate, "POST", vecHost, "/accounts/v1/account/list", url.Values{"realname": {"First Last"}}, []byte(`{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}`)),
			"Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI="},
		{"v5 GET /admin/v1/users (the contract's vector)", canonicalV5(vecDate, "GET", "api-xxxxxxxx.duosecurity.com", "/admin/v1/users", url.Values{"limit": {"1"}, "offset": {"0"}}, nil),
			"Basic " + base64.StdEncoding.EncodeToString([]byte(vecIKey+":1533738976181aa0bd683ee64bf20bfd58453ef7f471bcbf3cddb27c9693bc8b54466309cb6c8a6d34af36376df6d437be2c70fc861e84267f977cc095cfa134"))},
	}
	for _, tt := range tests {
		if got := authorization(vecIKey, vecSKey, tt.canonical); got != tt.want {
			t.Errorf("%s: authorization = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestSignerSignsEachAttempt: the signer dates a request by its clock in
// the official client's format and signs its decoded query, so that a
// query sent with + for a space signs as %20.
func TestSignerSignsEachAttempt(t *testing.T) {
	at := time.Date(2012, 8, 21, 17, 29, 18, 0, time.UTC)
	s := signer{ikey: vecIKey, skey: vecSKey, now: func() time.Time { return at }}
	r, _ := http.NewRequest(http.MethodGet, "https://api-xxxxxxxx.duosecurity.com/admin/v1/users?offset=0&limit=1", nil)
	if err := s.sign(r); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Date"); got != "Tue, 21 Aug 2012 17:29:18 +0000" {
		t.Errorf("Date = %q, want RFC 1123 with +0000", got)
	}
	want := authorization(vecIKey, vecSKey, canonicalV5("Tue, 21 Aug 2012 17:29:18 +0000", "GET", "api-xxxxxxxx.duosecurity.com", "/admin/v1/users", url.Values{"limit": {"1"}, "offset": {"0"}}, nil))
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %s, want %s", got, want)
	}
	at = at.Add(time.Second)
	_ = s.sign(r)
	if r.Header.Get("Authorization") == want {
		t.Error("a second attempt a second later carries the first attempt's signature")
	}
	plus, _ := http.NewRequest(http.MethodGet, "https://h/p?name=First+Last", nil)
	space, _ := http.NewRequest(http.MethodGet, "https://h/p?name=First%20Last", nil)
	_, _ = s.sign(plus), s.sign(space)
	if plus.Header.Get("Authorization") != space.Header.Get("Authorization") {
		t.Error("+ and %20 in the query sign differently; Duo decodes both to a space")
	}
}

// FuzzCanonParams: the canonical string holds only unreserved characters,
// %XX escapes, = and &; it decodes back to the same parameters; and it is
// a fixed point (canonicalizing what it decodes to gives it again).
func FuzzCanonParams(f *testing.F) {
	f.Add("realname", "First Last", "username", "root")
	f.Add("foo", "1", "foo_bar", "2")
	f.Add("x{", "~", "xa", "\x7f")
	f.Add("", "", "=&", "+%")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := url.Values{}
		in.Add(k1, v1)
		in.Add(k2, v2)
		got := canonParams(in)
		for i := 0; i < len(got); i++ {
			c := got[i]
			if !(c == '%' || c == '=' || c == '&' || c == '-' || c == '.' || c == '_' || c == '~' ||
				'0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				t.Fatalf("canonParams = %q holds %q", got, c)
			}
		}
		back, err := url.ParseQuery(got)
		if err != nil {
			t.Fatalf("canonParams = %q does not parse: %v", got, err)
		}
		if canonParams(back) != got {
			t.Fatalf("canonParams is not a fixed point: %q then %q", got, canonParams(back))
		}
		for _, k := range []string{k1, k2} {
			a, b := slices.Sorted(slices.Values(in[k])), slices.Sorted(slices.Values(back[k]))
			if !slices.Equal(a, b) {
				t.Fatalf("key %q: decoded %q from %q, want %q", k, b, got, a)
			}
		}
	})
}
