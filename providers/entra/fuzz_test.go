package entra

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzAADSTS: the code read from a description is 0 or digits that
// follow "AADSTS" in it, and reading never panics.
func FuzzAADSTS(f *testing.F) {
	for _, s := range []string{"AADSTS7000215: Invalid client secret provided.", "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1", "", "AADSTS", "AADSTS123", "xAADSTS99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := AADSTS(s)
		if n < 0 {
			t.Fatalf("negative code %d", n)
		}
		if n != 0 && !strings.Contains(s, "AADSTS"+strconv.Itoa(n)) && !strings.Contains(s, "AADSTS0") {
			t.Fatalf("code %d is not in %q", n, s)
		}
	})
}

// FuzzParseKeyPair: whatever is pasted, parsing never panics, and an
// error never quotes the input: an input holding "~", which Entra
// secrets hold and no message does, never shows in the error.
func FuzzParseKeyPair(f *testing.F) {
	f.Add("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	f.Add("secret-value-that-is-not-a-pem-0000000000")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := parseKeyPair(s)
		if err != nil && strings.Contains(s, "~") && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Fatalf("the error quotes the input: %v", err)
		}
	})
}

// FuzzReadClaims: an access token from the network never panics the
// decoder, and roles come only from a token that decodes.
func FuzzReadClaims(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlcyI6WyJVc2VyLlJlYWQuQWxsIl19.c2ln")
	f.Add("not a token")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := readClaims(s)
		if err != nil && len(c.Roles) > 0 {
			t.Fatalf("roles %v from a token that did not decode", c.Roles)
		}
	})
}

// FuzzGraphError: whatever Graph sends, decoding and classifying it never
// panics, a licence is named only for a refusal (never for a 2xx), and
// the message shown is bounded.
func FuzzGraphError(f *testing.F) {
	for _, b := range []string{bodyRequestDenied, bodyPermMissing, bodyNoAuditAccess, bodyNonPremium, bodyIntuneForbidden, bodyIntuneUnknown, bodyIntuneNotLic, bodyRiskNotLic, "", "{", `{"error":{"message":"{\"Message\":\"{\\\"Message\\\":1}\"}"}}`} {
		f.Add(403, b, true)
		f.Add(400, b, false)
	}
	f.Fuzz(func(t *testing.T, status int, body string, needs bool) {
		need := ""
		if needs {
			need = licenseP2
		}
		out, license, reason := classify(answer(status, body), need)
		if (out == readLicense) != (license != "") {
			t.Fatalf("outcome %d with licence %q", out, license)
		}
		if status >= 200 && status < 300 && out != readOK {
			t.Fatalf("a %d is outcome %d", status, out)
		}
		if len(reason) > 300+len("…") {
			t.Fatalf("reason of %d bytes", len(reason))
		}
	})
}
