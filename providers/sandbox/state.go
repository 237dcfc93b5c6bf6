package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tetherdev/tether/flows"
)

// maxState bounds a state file: it is read like input.
const maxState = 4 << 20

// StateFile is where the sandbox keeps a provider's demo tenant between
// commands, in dir. Deleting it (or running tether --sandbox reset) starts
// that tenant afresh.
func StateFile(dir, provider string) string {
	return filepath.Join(dir, "tenants", provider+".json")
}

func (s *Sandbox) lock() (func(), error) {
	return flows.LockFile(filepath.Join(s.dir, "tenants", ".lock"))
}

// restore hands a Stateful emulator its saved state, if any.
func (s *Sandbox) restore(provider string, em Emulator) error {
	st, ok := em.(Stateful)
	if !ok || s.dir == "" {
		return nil
	}
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer unlock()
	path := StateFile(s.dir, provider)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxState+1))
	if err != nil {
		return fmt.Errorf("sandbox: reading %s: %w", path, err)
	}
	if len(data) > maxState {
		return fmt.Errorf("sandbox: %s is larger than %d MiB; delete it (or run tether --sandbox reset) to start the demo tenant afresh", path, maxState>>20)
	}
	if err := st.Restore(data); err != nil {
		return fmt.Errorf("sandbox: %s: %w; delete it (or run tether --sandbox reset) to start the demo tenant afresh", path, err)
	}
	return nil
}

// save writes a Stateful emulator's state.
func (s *Sandbox) save(provider string, em Emulator) error {
	st, ok := em.(Stateful)
	if !ok || s.dir == "" {
		return nil
	}
	data, err := st.State()
	if err != nil {
		return fmt.Errorf("sandbox: saving the %s demo tenant: %w", provider, err)
	}
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer unlock()
	return flows.WriteFileAtomic(StateFile(s.dir, provider), data, 0o600)
}

// Reset deletes every saved demo tenant in dir, so that the next sandbox
// starts them afresh. It returns the providers it reset.
func Reset(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "tenants", "*.json"))
	if err != nil {
		return nil, err
	}
	var reset []string
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return reset, err
		}
		reset = append(reset, filepath.Base(m[:len(m)-len(".json")]))
	}
	return reset, nil
}
