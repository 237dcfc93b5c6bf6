package google

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeError: each of Google's two error envelopes, whatever its
// reason and message, decodes to exactly them; the Admin SDK's first
// reason wins over a detail's; a body that is not a JSON object decodes
// to nothing.
func FuzzDecodeError(f *testing.F) {
	f.Add("insufficientPermissions", "Request had insufficient authentication scopes.", "SERVICE_DISABLED", []byte(`{"error":{"code":403}}`))
	f.Add("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method.", "", []byte(`{"error":"invalid_grant","error_description":"Invalid JWT"}`))
	f.Add("", "Not Authorized to access this resource/api", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", []byte(`<html>502</html>`))
	f.Add("\u2028\"\\", "\x00\xff", "", []byte(`{"error":[1]}`))
	f.Fuzz(func(t *testing.T, reason, message, detail string, junk []byte) {
		admin := map[string]any{"error": map[string]any{"code": 403, "message": message,
			"errors": []map[string]string{{"reason": reason}}, "details": []map[string]string{{"reason": detail}}}}
		body, err := json.Marshal(admin)
		if err != nil {
			t.Fatal(err)
		}
		// json.Marshal replaces invalid UTF-8; compare with what it wrote.
		var back struct {
			Error struct {
				Message string
				Errors  []struct{ Reason string }
				Details []struct{ Reason string }
			}
		}
		if err := json.Unmarshal(body, &back); err != nil {
			t.Fatal(err)
		}
		want := back.Error.Errors[0].Reason
		if want == "" {
			want = back.Error.Details[0].Reason
		}
		if code, msg := decodeError(403, body); code != want || msg != back.Error.Message {
			t.Fatalf("decodeError(%s) = %q, %q; want %q, %q", body, code, msg, want, back.Error.Message)
		}
		oauth, _ := json.Marshal(map[string]string{"error": reason, "error_description": message})
		var o struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		if err := json.Unmarshal(oauth, &o); err != nil {
			t.Fatal(err)
		}
		if code, msg := decodeError(400, oauth); code != o.Error || msg != o.Desc {
			t.Fatalf("decodeError(%s) = %q, %q; want %q, %q", oauth, code, msg, o.Error, o.Desc)
		}
		var obj map[string]json.RawMessage
		if code, msg := decodeError(500, junk); (code != "" || msg != "") && json.Unmarshal(junk, &obj) != nil {
			t.Fatalf("decodeError(%q) = %q, %q from a body that is not a JSON object", junk, code, msg)
		}
	})
}
