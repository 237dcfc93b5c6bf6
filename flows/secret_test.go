package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "CANARY-s3cr3t-7f1e9b"

func TestSecretNeverFormatsItsValues(t *testing.T) {
	s := NewSecret(map[string]string{"client_secret": canary})
	type wrapper struct {
		S     Secret
		Inner struct{ S Secret }
	}
	w := wrapper{S: s}
	w.Inner.S = s
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s, "w", w)
	outputs := map[string]string{"slog": logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outputs[verb] = fmt.Sprintf(verb, s)
		outputs[verb+" nested"] = fmt.Sprintf(verb, w)
	}
	js, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	outputs["error"] = fmt.Errorf("saving %v: %w", s, errors.New("x")).Error()
	for name, out := range outputs {
		if strings.Contains(out, canary) {
			t.Errorf("%s output reveals the secret: %s", name, out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("%s output = %q, want it to say redacted", name, out)
		}
	}
	if got := s.Get("client_secret"); got != canary {
		t.Errorf("Get() = %q, want the value", got)
	}
}

func TestSecretSealRoundTrip(t *testing.T) {
	s := NewSecret(map[string]string{"a": "1", "b": "ünïcode ✓", "empty": ""})
	blob, err := s.seal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := unseal(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(s) || got.Get("empty") != "" || len(got.Keys()) != 2 {
		t.Errorf("round trip = %v keys %v, want %v", got, got.Keys(), s.Keys())
	}
	for _, bad := range []string{"", "{", `{"v":2,"values":{}}`, "null"} {
		if _, err := unseal([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unseal(%q) error = %v, want ErrCorrupt", bad, err)
		}
	}
}
