package auth0

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeError: any body decodes without a panic, and a Management API
// error envelope gives back exactly its errorCode and message.
func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:logs","errorCode":"insufficient_scope"}`), "insufficient_scope", "Insufficient scope")
	f.Add([]byte(`{"message":1}`), "", "")
	f.Add([]byte(`<html>`), "too_many_requests", "Global limit has been reached")
	f.Fuzz(func(t *testing.T, body []byte, code, message string) {
		decodeError(500, body)
		env, err := json.Marshal(map[string]any{"statusCode": 403, "error": "Forbidden", "message": message, "errorCode": code})
		if err != nil {
			return
		}
		var want struct{ Message, ErrorCode string }
		if err := json.Unmarshal(env, &want); err != nil {
			t.Fatal(err)
		}
		if gotCode, gotMsg := decodeError(403, env); gotCode != want.ErrorCode || gotMsg != want.Message {
			t.Fatalf("decodeError(%s) = %q, %q; want %q, %q", env, gotCode, gotMsg, want.ErrorCode, want.Message)
		}
	})
}
