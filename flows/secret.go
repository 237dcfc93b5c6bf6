package flows

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

const redacted = "[redacted]"

// Secret is the secret half of a credential: a few named values such as a
// client secret, a private key or a refresh token.
//
// A Secret never reveals itself by accident: it formats as "[redacted]"
// with every fmt verb and marshals to JSON as "[redacted]". Only Get reads a
// value, and only the stores in this package serialize one.
type Secret struct {
	values map[string]string
}

// NewSecret returns a Secret holding a copy of values. Empty values are
// dropped.
func NewSecret(values map[string]string) Secret {
	m := make(map[string]string, len(values))
	for k, v := range values {
		if v != "" {
			m[k] = v
		}
	}
	return Secret{values: m}
}

// Get returns the named value, or "" when it is absent.
func (s Secret) Get(key string) string { return s.values[key] }

// Keys returns the names of the values held, sorted.
func (s Secret) Keys() []string { return slices.Sorted(maps.Keys(s.values)) }

// IsZero reports whether s holds no value.
func (s Secret) IsZero() bool { return len(s.values) == 0 }

// With returns a copy of s with key set to value.
func (s Secret) With(key, value string) Secret {
	m := maps.Clone(s.values)
	if m == nil {
		m = map[string]string{}
	}
	m[key] = value
	return NewSecret(m)
}

// Equal reports whether s and o hold the same values.
func (s Secret) Equal(o Secret) bool { return maps.Equal(s.values, o.values) }

// String implements fmt.Stringer without revealing anything.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing anything.
func (Secret) GoString() string { return "flows.Secret{" + redacted + "}" }

// Format implements fmt.Formatter so that %v, %+v, %#v, %s, %q and %x all
// print "[redacted]".
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON keeps a Secret out of any JSON it ends up in.
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// secretBlob is the stored form of a Secret.
type secretBlob struct {
	Version int               `json:"v"`
	Values  map[string]string `json:"values"`
}

// seal serializes s for a store. It is the only way out of a Secret.
func (s Secret) seal() ([]byte, error) {
	return json.Marshal(secretBlob{Version: 1, Values: s.values})
}

// unseal parses what seal produced.
func unseal(data []byte) (Secret, error) {
	var b secretBlob
	if err := json.Unmarshal(data, &b); err != nil || b.Version != 1 {
		// The parse error could quote the data; never wrap it.
		return Secret{}, ErrCorrupt
	}
	return NewSecret(b.Values), nil
}
