package flows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring is the part of an OS keyring the store uses. SystemKeyring is
// the real one; tests pass a fake.
type Keyring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// SystemKeyring is the OS keyring, through github.com/zalando/go-keyring.
type SystemKeyring struct{}

func (SystemKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (SystemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (SystemKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Defaults for KeyringStore.
const (
	// DefaultKeyringTimeout is long enough for a person to type a keyring
	// unlock password, and short enough that a prompt nobody can see (a
	// locked keyring on a headless host) does not hang tether forever.
	DefaultKeyringTimeout = 2 * time.Minute
	// DefaultKeyringNotice is how long a keyring call may take before the
	// admin is told that tether is waiting for the keyring.
	DefaultKeyringNotice = 2 * time.Second
	// DefaultChunkSize keeps every keyring item under the smallest
	// platform limit (Windows Credential Manager: 2,560 bytes per secret;
	// macOS: about 3,000 bytes for service, account and secret together).
	DefaultChunkSize = 2048
)

// KeyringStore keeps secrets in the OS keyring: one item per connection,
// under Service with the account "<provider>/<name>".
//
// A secret larger than ChunkSize is split over several items. The main item
// then holds a manifest naming a slot, the chunk count and the SHA-256 of
// the whole; each chunk carries that digest and its index. A new secret is
// written to the slot the manifest does not name, the manifest is switched,
// and only then are the old chunks deleted, so an interrupted write leaves
// the previous secret intact, and a stale chunk can never combine into a
// corrupt secret: its digest would not match.
type KeyringStore struct {
	Service string
	Keyring Keyring
	// Timeout bounds each keyring call; 0 means DefaultKeyringTimeout.
	Timeout time.Duration
	// Notice is how long a call may take before OnWait is called; 0 means
	// DefaultKeyringNotice.
	Notice time.Duration
	// OnWait, when set, is called once per slow call with a sentence for
	// the admin.
	OnWait func(message string)
	// ChunkSize is the largest item stored; 0 means DefaultChunkSize.
	ChunkSize int
	// Lock, when set, is held around every Save and Delete, so that two
	// tether processes writing one connection do not mix their chunks
	// (see LockFile). The store's own mutex covers one process only.
	Lock func() (unlock func(), err error)

	mu sync.Mutex // serializes writers of this process
}

var _ Store = (*KeyringStore)(nil)

// NewKeyringStore returns a store on the OS keyring under service.
func NewKeyringStore(service string) *KeyringStore {
	return &KeyringStore{Service: service, Keyring: SystemKeyring{}}
}

func (s *KeyringStore) Kind() StoreKind { return StoreKeyring }

func (s *KeyringStore) Location(k Key) string {
	return fmt.Sprintf("OS keyring · service %q · account %q", s.Service, k.String())
}

const manifestPrefix = "tether-chunked:v1:"

// Probe writes, reads back and deletes a random value, under an account of
// its own so that two tethers probing at once do not meet. It takes the
// writers' lock as Save does, so that what Save will need (the lock file
// and its directory) is proven before a sign-in, not after it.
func (s *KeyringStore) Probe(ctx context.Context) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	value := rand.Text()
	probeAccount := "tether-probe-" + value[:8]
	if err := s.call(ctx, "writing to the keyring", func(kr Keyring) error {
		return kr.Set(s.Service, probeAccount, value)
	}); err != nil {
		return s.unavailable(ctx, err)
	}
	got, err := s.get(ctx, probeAccount)
	if err != nil {
		return s.unavailable(ctx, err)
	}
	if got != value {
		return s.unavailable(ctx, errors.New("the keyring returned a different value than was written"))
	}
	if err := s.call(ctx, "deleting from the keyring", func(kr Keyring) error {
		return kr.Delete(s.Service, probeAccount)
	}); err != nil {
		return s.unavailable(ctx, err)
	}
	return nil
}

func (s *KeyringStore) Save(ctx context.Context, k Key, sec Secret) error {
	blob, err := sec.seal()
	if err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()

	old, err := s.readManifest(ctx, k)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if len(blob) <= s.chunkSize() {
		if err := s.set(ctx, k.String(), string(blob)); err != nil {
			return err
		}
		return s.sweep(ctx, k, old, "", 0)
	}

	slot := "a"
	if old.slot == "a" {
		slot = "b"
	}
	sum := sha256.Sum256(blob)
	digest := hex.EncodeToString(sum[:])
	pieces := split(blob, s.pieceSize())
	for i, p := range pieces {
		value := digest + ":" + strconv.Itoa(i) + ":" + base64.StdEncoding.EncodeToString(p)
		if err := s.set(ctx, chunkAccount(k, slot, i), value); err != nil {
			return err
		}
	}
	manifest := fmt.Sprintf("%s%s:%d:%s", manifestPrefix, slot, len(pieces), digest)
	if err := s.set(ctx, k.String(), manifest); err != nil {
		return err
	}
	return s.sweep(ctx, k, old, slot, len(pieces))
}

func (s *KeyringStore) Load(ctx context.Context, k Key) (Secret, error) {
	value, err := s.get(ctx, k.String())
	if err != nil {
		return Secret{}, err
	}
	if !strings.HasPrefix(value, manifestPrefix) {
		return unseal([]byte(value))
	}
	m, err := parseManifest(value)
	if err != nil {
		return Secret{}, err
	}
	var blob []byte
	for i := range m.count {
		chunk, err := s.get(ctx, chunkAccount(k, m.slot, i))
		if errors.Is(err, ErrNotFound) {
			return Secret{}, ErrCorrupt
		}
		if err != nil {
			return Secret{}, err
		}
		digest, rest, ok1 := strings.Cut(chunk, ":")
		idx, payload, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || digest != m.digest || idx != strconv.Itoa(i) {
			return Secret{}, ErrCorrupt
		}
		p, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return Secret{}, ErrCorrupt
		}
		blob = append(blob, p...)
	}
	if sum := sha256.Sum256(blob); hex.EncodeToString(sum[:]) != m.digest {
		return Secret{}, ErrCorrupt
	}
	return unseal(blob)
}

func (s *KeyringStore) Delete(ctx context.Context, k Key) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	old, err := s.readManifest(ctx, k)
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if err := s.sweep(ctx, k, old, "", 0); err != nil {
		return err
	}
	if err := s.del(ctx, k.String()); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// lock takes the in-process mutex and, when set, the cross-process Lock.
func (s *KeyringStore) lock() (func(), error) {
	s.mu.Lock()
	if s.Lock == nil {
		return s.mu.Unlock, nil
	}
	unlock, err := s.Lock()
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("locking the keyring entries: %w", err)
	}
	return func() { unlock(); s.mu.Unlock() }, nil
}

// manifest describes a chunked secret; the zero value means "not chunked".
type manifest struct {
	slot   string
	count  int
	digest string
}

func parseManifest(v string) (manifest, error) {
	parts := strings.Split(strings.TrimPrefix(v, manifestPrefix), ":")
	if len(parts) != 3 || (parts[0] != "a" && parts[0] != "b") || len(parts[2]) != 64 {
		return manifest{}, ErrCorrupt
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || n > 1000 {
		return manifest{}, ErrCorrupt
	}
	return manifest{slot: parts[0], count: n, digest: parts[2]}, nil
}

// readManifest returns the manifest stored under k, the zero manifest when
// the secret is not chunked, or ErrNotFound.
func (s *KeyringStore) readManifest(ctx context.Context, k Key) (manifest, error) {
	value, err := s.get(ctx, k.String())
	if err != nil {
		return manifest{}, err
	}
	if !strings.HasPrefix(value, manifestPrefix) {
		return manifest{}, nil
	}
	return parseManifest(value)
}

// sweep deletes every chunk of k except the first keepCount of slot
// keepSlot: the chunks the old manifest names, and any left behind by an
// interrupted write. It finds how far each slot goes by reading upward,
// then deletes from the highest index down, so that an interrupted sweep
// can only leave a run starting at index 0, which the next sweep finds.
func (s *KeyringStore) sweep(ctx context.Context, k Key, old manifest, keepSlot string, keepCount int) error {
	for _, slot := range []string{"a", "b"} {
		start := 0
		if slot == keepSlot {
			start = keepCount
		}
		end := start
		if slot == old.slot {
			end = max(end, old.count)
		}
		for {
			_, err := s.get(ctx, chunkAccount(k, slot, end))
			if errors.Is(err, ErrNotFound) {
				break
			}
			if err != nil {
				return err
			}
			end++
		}
		for i := end - 1; i >= start; i-- {
			if err := s.del(ctx, chunkAccount(k, slot, i)); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

func chunkAccount(k Key, slot string, i int) string {
	return k.String() + "#" + slot + strconv.Itoa(i)
}

func (s *KeyringStore) get(ctx context.Context, account string) (value string, err error) {
	err = s.call(ctx, "reading from the keyring", func(kr Keyring) (err error) {
		value, err = kr.Get(s.Service, account)
		return err
	})
	return value, s.classify(ctx, err)
}

func (s *KeyringStore) set(ctx context.Context, account, value string) error {
	return s.classify(ctx, s.call(ctx, "writing to the keyring", func(kr Keyring) error {
		return kr.Set(s.Service, account, value)
	}))
}

func (s *KeyringStore) del(ctx context.Context, account string) error {
	return s.classify(ctx, s.call(ctx, "deleting from the keyring", func(kr Keyring) error {
		return kr.Delete(s.Service, account)
	}))
}

func (s *KeyringStore) chunkSize() int {
	if s.ChunkSize > 0 {
		return s.ChunkSize
	}
	return DefaultChunkSize
}

// pieceSize is how many raw bytes fit in one chunk item after the digest,
// the index and base64 encoding.
func (s *KeyringStore) pieceSize() int {
	n := (s.chunkSize() - 64 - 1 - 4 - 1) / 4 * 3
	return max(n, 1)
}

func split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// call runs f on the keyring with a timeout, telling the admin through
// OnWait when the keyring is slow (usually an unlock prompt). A call that
// times out is abandoned; its goroutine ends when the keyring answers.
func (s *KeyringStore) call(ctx context.Context, op string, f func(Keyring) error) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	notice := s.Notice
	if notice <= 0 {
		notice = DefaultKeyringNotice
	}
	done := make(chan error, 1)
	go func() { done <- f(s.Keyring) }()

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	wait := time.NewTimer(notice)
	defer wait.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-wait.C:
			if s.OnWait != nil {
				s.OnWait("waiting for the OS keyring; if it asks to be unlocked, unlock it (tether gives up after " + timeout.String() + ")")
			}
		case <-deadline.C:
			return &TimeoutError{Op: op, After: timeout.String()}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
