package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tetherdev/tether/flows"
)

// A setup in progress keeps what tether generated for it (a key pair
// whose public half the admin registers in the console) in the
// credential store from the moment it is shown, so that resuming the
// setup reuses the same pair instead of making one that no longer
// matches what was registered. It lives under a key of its own, apart
// from any connection's credential, until the setup finishes or is
// dropped.

// generatedPrefix names, in the store, the entry of a setup in progress.
const generatedPrefix = ".setup-"

func generatedKey(k flows.Key) flows.Key {
	return flows.Key{Provider: generatedPrefix + k.Provider, Name: k.Name}
}

// generatedValue is how one generated value is kept.
type generatedValue struct {
	Value string     `json:"value"`
	Show  []Artifact `json:"show"`
}

// KeepGenerated keeps what tether generated for the inputs of the setup
// of k, by input key, in the store new credentials go to, and says where.
func (m *Manager) KeepGenerated(ctx context.Context, k flows.Key, gen map[string]Generated) (string, error) {
	store, err := m.ProbeStore(ctx)
	if err != nil {
		return "", err
	}
	values := map[string]string{}
	for key, g := range gen {
		data, err := json.Marshal(generatedValue{Value: g.Value, Show: g.Show})
		if err != nil {
			return "", fmt.Errorf("keeping the generated %s: %w", key, err)
		}
		values[key] = string(data)
	}
	if err := store.Save(ctx, generatedKey(k), flows.NewSecret(values)); err != nil {
		return "", fmt.Errorf("keeping the generated key pair: %w", err)
	}
	return store.Location(generatedKey(k)), nil
}

// KeptGenerated returns what KeepGenerated kept for the setup of k; none
// is an empty map.
func (m *Manager) KeptGenerated(ctx context.Context, k flows.Key) (map[string]Generated, error) {
	store, err := m.ProbeStore(ctx)
	if err != nil {
		return nil, err
	}
	sec, err := store.Load(ctx, generatedKey(k))
	if errors.Is(err, flows.ErrNotFound) {
		return map[string]Generated{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the generated key pair: %w", err)
	}
	out := map[string]Generated{}
	for _, key := range sec.Keys() {
		var v generatedValue
		if err := json.Unmarshal([]byte(sec.Get(key)), &v); err != nil || strings.TrimSpace(v.Value) == "" {
			// Never quote the value: it is a secret.
			return nil, fmt.Errorf("%w: the generated %s kept for %s is damaged", flows.ErrCorrupt, key, k)
		}
		out[key] = Generated{Value: v.Value, Show: v.Show}
	}
	return out, nil
}

// DropGenerated deletes what KeepGenerated kept for the setup of k.
// Nothing kept is not an error.
func (m *Manager) DropGenerated(ctx context.Context, k flows.Key) error {
	store, err := m.ProbeStore(ctx)
	if err != nil {
		return err
	}
	if err := store.Delete(ctx, generatedKey(k)); err != nil {
		return fmt.Errorf("deleting the generated key pair: %w", err)
	}
	return nil
}
