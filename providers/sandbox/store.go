package sandbox

import (
	"context"
	"sync"

	"github.com/tetherdev/tether/flows"
)

// Store keeps the sandbox's demo credentials: in the OS keyring under its
// own service when the keyring works, and otherwise, so that the sandbox
// runs on any fresh headless host, in an age-encrypted file in the
// sandbox's directory. Probe decides which; until it has, the keyring is
// assumed. This fallback is for demo credentials only: outside the sandbox
// tether never falls back silently.
type Store struct {
	Keyring flows.Store
	// File opens the encrypted file store.
	File func() (flows.Store, error)

	mu     sync.Mutex
	chosen flows.Store
}

var _ flows.Store = (*Store)(nil)

func (s *Store) current() flows.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chosen != nil {
		return s.chosen
	}
	return s.Keyring
}

// Probe tries the keyring, then the file store.
func (s *Store) Probe(ctx context.Context) error {
	if err := s.Keyring.Probe(ctx); err == nil {
		s.mu.Lock()
		s.chosen = s.Keyring
		s.mu.Unlock()
		return nil
	}
	f, err := s.File()
	if err != nil {
		return err
	}
	if err := f.Probe(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.chosen = f
	s.mu.Unlock()
	return nil
}

func (s *Store) Kind() flows.StoreKind { return s.current().Kind() }
func (s *Store) Save(ctx context.Context, k flows.Key, sec flows.Secret) error {
	return s.current().Save(ctx, k, sec)
}
func (s *Store) Load(ctx context.Context, k flows.Key) (flows.Secret, error) {
	return s.current().Load(ctx, k)
}
func (s *Store) Delete(ctx context.Context, k flows.Key) error { return s.current().Delete(ctx, k) }
func (s *Store) Location(k flows.Key) string                   { return s.current().Location(k) }
