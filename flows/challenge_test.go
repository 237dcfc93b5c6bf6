package flows

import (
	"reflect"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []Challenge
	}{
		{[]string{`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`},
			[]Challenge{{Scheme: "DPoP", Params: map[string]string{"error": "use_dpop_nonce", "error_description": "Resource server requires nonce in DPoP proof"}}}},
		// Okta's insufficient-scope answer.
		{[]string{`DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="http://xxx.oktapreview.com/oauth2/v1/authorize", realm="http://xxx.oktapreview.com", scope="okta.policies.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/policies"`},
			[]Challenge{{Scheme: "DPoP", Params: map[string]string{"algs": "RS256 RS384 RS512 ES256 ES384 ES512",
				"authorization_uri": "http://xxx.oktapreview.com/oauth2/v1/authorize", "realm": "http://xxx.oktapreview.com",
				"scope": "okta.policies.read", "error": "insufficient_scope",
				"error_description": "The access token provided does not contain the required scopes.", "resource": "/api/v1/policies"}}}},
		{[]string{`Bearer realm="example", error=invalid_token, DPoP algs="ES256"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "example", "error": "invalid_token"}},
				{Scheme: "DPoP", Params: map[string]string{"algs": "ES256"}}}},
		{[]string{`Basic realm="a \"quoted\" realm"`, `Negotiate YWJj==`},
			[]Challenge{{Scheme: "Basic", Params: map[string]string{"realm": `a "quoted" realm`}},
				{Scheme: "Negotiate", Params: map[string]string{}, Token68: "YWJj=="}}},
		{[]string{`DPoP ERROR="x", error="y"`}, []Challenge{{Scheme: "DPoP", Params: map[string]string{"error": "x"}}}},
		{[]string{`DPoP`}, []Challenge{{Scheme: "DPoP", Params: map[string]string{}}}},
		{[]string{`DPoP error="unterminated, x=y`}, []Challenge{{Scheme: "DPoP", Params: map[string]string{}}}},
		{[]string{`DPoP error="e", a=, b=c`}, []Challenge{{Scheme: "DPoP", Params: map[string]string{"error": "e", "b": "c"}}}},
		{[]string{"", " , ,"}, nil},
	} {
		if got := ParseChallenges(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseChallenges(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

// FuzzParseChallenges: nothing panics, and what parses formats back to
// a header that parses the same.
func FuzzParseChallenges(f *testing.F) {
	f.Add(`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
	f.Add(`Bearer realm="example", error=invalid_token, DPoP algs="ES256"`)
	f.Add(`Negotiate YWJj==, Basic realm="a \"q\" \\ b"`)
	f.Add(`a=b, =c ,, d e="`)
	f.Fuzz(func(t *testing.T, header string) {
		parsed := ParseChallenges([]string{header})
		var formatted []string
		for _, c := range parsed {
			formatted = append(formatted, c.String())
		}
		again := ParseChallenges(formatted)
		if len(parsed) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(parsed, again) {
			t.Fatalf("ParseChallenges(%q) = %#v, formatted %q, parses again as %#v", header, parsed, formatted, again)
		}
	})
}

// FuzzProofClaims: reading a proof's claims never panics, and claims
// that parse survive being written and read again.
func FuzzProofClaims(f *testing.F) {
	d, err := GenerateDPoP(nil)
	if err != nil {
		f.Fatal(err)
	}
	p, _ := d.Proof("GET", "https://api.example.com/x?y", "token")
	f.Add(p)
	f.Add("a.eyJub25jZSI6Im4ifQ.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, proof string) {
		c, err := parseProofClaims(proof)
		if err != nil {
			return
		}
		again, err := parseProofClaims("x." + encodeClaims(t, c) + ".y")
		if err != nil || again != c {
			t.Fatalf("parseProofClaims(%q) = %+v, written and read again %+v, %v", proof, c, again, err)
		}
	})
}
