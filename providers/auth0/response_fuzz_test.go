package auth0

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/providers"
)

// answer is what the prober hands back for status and body; a status of
// 0 stands for a request that failed (reset, timeout, truncated body).
func answer(status int, body []byte) providers.Answer {
	a := providers.Answer{Status: status, Body: body}
	if status == 0 {
		a.Err = errors.New("the connection was reset")
	}
	return a
}

// userIDs lists the user_id fields of a JSON array of objects, or nil.
func userIDs(body []byte) map[string]bool {
	var items []map[string]any
	if json.Unmarshal(body, &items) != nil {
		return nil
	}
	ids := map[string]bool{}
	for _, it := range items {
		if s, ok := it["user_id"].(string); ok && s != "" {
			ids[s] = true
		}
	}
	return ids
}

// FuzzAUserID: the user the logs probe reads is one that an answer named;
// the tenant is called empty only when the users page answered and named
// nobody; when neither answer is usable there is an error, never a user
// or "empty".
func FuzzAUserID(f *testing.F) {
	f.Add(200, []byte(`[{"user_id":"auth0|65f0c0ffee0000000000a001"}]`), 200, []byte(`[]`))
	f.Add(200, []byte(`[]`), 200, []byte(`[{"user_id":"auth0|x"}]`))
	f.Add(200, []byte(`[]`), 500, []byte(`{}`))
	f.Add(500, []byte(`{"statusCode":500}`), 200, []byte(`[]`))
	f.Add(503, []byte(``), 0, []byte(``))
	f.Add(0, []byte(`[{"user_id":"a"}]`), 200, []byte(`[{"user_id":""},{"user_id":"b"}]`))
	f.Add(200, []byte(`[{"user_id":""}]`), 200, []byte(`[{}]`))
	f.Add(200, []byte(`[{"user_id":""},{"user_id":"b"}]`), 200, []byte(`[]`))
	f.Add(200, []byte(`{"users":[]}`), 200, []byte(`[]`))
	f.Add(200, []byte(`[{"user_id":"a"`), 200, []byte(`not json`))
	f.Add(429, []byte(`[]`), 403, []byte(`[]`))
	f.Fuzz(func(t *testing.T, us int, ub []byte, ls int, lb []byte) {
		users, logs := answer(us, ub), answer(ls, lb)
		id, empty, err := aUserID(users, logs)
		switch {
		case err != nil:
			if id != "" || empty {
				t.Fatalf("aUserID = %q, %v with error %v", id, empty, err)
			}
			if !strings.HasPrefix(err.Error(), "not run: ") {
				t.Fatalf("aUserID error %q does not say the probe did not run", err)
			}
		case empty:
			if id != "" {
				t.Fatalf("aUserID = %q and empty", id)
			}
			if !users.OK() {
				t.Fatalf("aUserID called the tenant empty although the users probe answered %d (%v)", us, users.Err)
			}
			var page []json.RawMessage
			if json.Unmarshal(ub, &page) != nil || len(page) > 0 {
				t.Fatalf("aUserID called the tenant empty from users page %q", ub)
			}
		case id == "":
			t.Fatal("aUserID = no user, not empty, no error")
		default:
			named := users.OK() && userIDs(ub)[id] || logs.OK() && userIDs(lb)[id]
			if !named {
				t.Fatalf("aUserID = %q, which no usable answer names (users %d %q, logs %d %q)", id, us, ub, ls, lb)
			}
		}
		if !users.OK() && !logs.OK() && err == nil {
			t.Fatalf("aUserID = %q, %v although neither probe answered", id, empty)
		}
	})
}

// FuzzGrantedScopes: the granted scopes come from the token response's
// scope when it has one, else from the access token's claim; a token
// that says nothing is unknown, never an empty grant.
func FuzzGrantedScopes(f *testing.F) {
	f.Add(true, "read:users read:logs", "")
	f.Add(false, "", "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6InJlYWQ6dXNlcnMifQ.c2ln")
	f.Add(false, "", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6InJlYWQ6dXNlcnMifQ.")
	f.Add(false, "", "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6MX0.c2ln")
	f.Add(false, "", "not a jwt")
	f.Add(true, "", "eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6InJlYWQ6dXNlcnMifQ.c2ln")
	f.Fuzz(func(t *testing.T, hasScope bool, scope, access string) {
		tok := &oauth2.Token{AccessToken: access}
		if hasScope {
			tok = tok.WithExtra(map[string]any{"scope": scope})
		}
		got, source, known := grantedScopes(tok)
		if hasScope {
			if !known || source != "token response scope" || strings.Join(got, " ") != strings.Join(strings.Fields(scope), " ") {
				t.Fatalf("grantedScopes with response scope %q = %q, %q, %v", scope, got, source, known)
			}
			return
		}
		if !known {
			if got != nil {
				t.Fatalf("grantedScopes = %q but unknown", got)
			}
			return
		}
		if source != "access token scope claim" {
			t.Fatalf("grantedScopes source %q without a response scope", source)
		}
		// A grant read from the claim is the words of the payload's scope
		// claim, decoded here independently.
		parts := strings.Split(access, ".")
		if len(parts) != 3 {
			t.Fatalf("grantedScopes read claims %q from %q, which is no compact JWS", got, access)
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			Scope *string `json:"scope"`
		}
		if err != nil || json.Unmarshal(payload, &claims) != nil || claims.Scope == nil {
			t.Fatalf("grantedScopes read %q from a payload with no scope claim: %q", got, parts[1])
		}
		if strings.Join(got, " ") != strings.Join(strings.Fields(*claims.Scope), " ") {
			t.Fatalf("grantedScopes = %q, but the claim says %q", got, *claims.Scope)
		}
	})
}
