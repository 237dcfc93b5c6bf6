package flows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// fakeKeyring is an in-memory keyring with the platform's size limit and
// fault injection.
type fakeKeyring struct {
	mu       sync.Mutex
	items    map[string]string // service + "\x00" + user
	limit    int               // largest value accepted; 0 means no limit
	failSets int               // fail the Nth Set from now (1 = next); 0 means never
	err      error             // returned by every call when set
	block    chan struct{}     // when set, calls wait for it to close
	sets     int
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string]string{}} }

func (f *fakeKeyring) wait() {
	if f.block != nil {
		<-f.block
	}
}

func (f *fakeKeyring) Set(service, user, password string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.limit > 0 && len(password) > f.limit {
		return keyring.ErrSetDataTooBig
	}
	f.sets++
	if f.failSets > 0 {
		f.failSets--
		if f.failSets == 0 {
			return errors.New("injected failure")
		}
	}
	f.items[service+"\x00"+user] = password
	return nil
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	k := service + "\x00" + user
	if _, ok := f.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, k)
	return nil
}

func (f *fakeKeyring) accounts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range maps.Keys(f.items) {
		out = append(out, strings.ReplaceAll(k, "\x00", " "))
	}
	slices.Sort(out)
	return out
}

func bigSecret(n int, fill string) Secret {
	return NewSecret(map[string]string{"token": strings.Repeat(fill, n)})
}

func TestKeyringRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := Key{"auth0", "default"}
	tests := []struct {
		name       string
		secret     Secret
		wantChunks bool
	}{
		{"small", NewSecret(map[string]string{"client_secret": canary}), false},
		{"just under the limit", bigSecret(2000, "x"), false},
		{"an Entra token over the Windows limit", bigSecret(9000, "y"), true},
		{"multibyte", bigSecret(3000, "✓"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := newFakeKeyring()
			kr.limit = 2560 // Windows Credential Manager
			s := &KeyringStore{Service: "tether", Keyring: kr}
			if err := s.Save(ctx, k, tt.secret); err != nil {
				t.Fatalf("Save() error = %v", err)
			}
			got, err := s.Load(ctx, k)
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if !got.Equal(tt.secret) {
				t.Errorf("Load() returned a different secret")
			}
			chunked := len(kr.accounts()) > 1
			if chunked != tt.wantChunks {
				t.Errorf("chunked = %v (items %v), want %v", chunked, kr.accounts(), tt.wantChunks)
			}
		})
	}
}

func TestKeyringRewriteNeverCombinesStaleChunks(t *testing.T) {
	ctx := context.Background()
	k := Key{"entra", "prod"}
	kr := newFakeKeyring()
	s := &KeyringStore{Service: "tether", Keyring: kr, ChunkSize: 200}
	sequence := []Secret{bigSecret(2000, "a"), bigSecret(700, "b"), bigSecret(3000, "c"), NewSecret(map[string]string{"t": "small"}), bigSecret(900, "d")}
	for i, sec := range sequence {
		if err := s.Save(ctx, k, sec); err != nil {
			t.Fatalf("Save #%d: %v", i, err)
		}
		got, err := s.Load(ctx, k)
		if err != nil || !got.Equal(sec) {
			t.Fatalf("Load after Save #%d = err %v, equal %v", i, err, got.Equal(sec))
		}
		// Only the live secret's items remain.
		want := 1
		if blob, _ := sec.seal(); len(blob) > 200 {
			want += len(split(blob, s.pieceSize()))
		}
		if n := len(kr.accounts()); n != want {
			t.Errorf("after Save #%d: %d items %v, want %d", i, n, kr.accounts(), want)
		}
	}
}

func TestKeyringInterruptedWriteKeepsPreviousSecret(t *testing.T) {
	ctx := context.Background()
	k := Key{"entra", "prod"}
	kr := newFakeKeyring()
	s := &KeyringStore{Service: "tether", Keyring: kr, ChunkSize: 200}
	old := bigSecret(1500, "o")
	if err := s.Save(ctx, k, old); err != nil {
		t.Fatal(err)
	}
	for fail := 1; fail <= 12; fail++ {
		kr.failSets = fail
		err := s.Save(ctx, k, bigSecret(1800, "n"))
		kr.failSets = 0
		if err == nil {
			continue // the failure landed after the write completed
		}
		got, lerr := s.Load(ctx, k)
		if lerr != nil || !got.Equal(old) {
			t.Fatalf("failing Set #%d: Load = %v, equal to previous %v; want the previous secret intact", fail, lerr, got.Equal(old))
		}
	}
}

func TestKeyringStaleChunkIsDetected(t *testing.T) {
	ctx := context.Background()
	k := Key{"entra", "prod"}
	kr := newFakeKeyring()
	s := &KeyringStore{Service: "tether", Keyring: kr, ChunkSize: 200}
	if err := s.Save(ctx, k, bigSecret(1500, "1")); err != nil {
		t.Fatal(err)
	}
	first := map[string]string{}
	for _, a := range kr.accounts() {
		first[a] = kr.items[strings.Replace(a, " ", "\x00", 1)]
	}
	if err := s.Save(ctx, k, bigSecret(1500, "2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, k, bigSecret(1500, "3")); err != nil {
		t.Fatal(err)
	}
	// Put one chunk of the first secret back where the third now lives
	// (same slot, same index): the digest must reject it.
	for a, v := range first {
		if strings.HasSuffix(a, "#a1") {
			kr.items[strings.Replace(a, " ", "\x00", 1)] = v
		}
	}
	if _, err := s.Load(ctx, k); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Load with a stale chunk = %v, want ErrCorrupt", err)
	}
}

func TestKeyringDeleteRemovesEveryChunkAndNothingElse(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	s := &KeyringStore{Service: "tether", Keyring: kr, ChunkSize: 200}
	other := &KeyringStore{Service: "tether-sandbox", Keyring: kr, ChunkSize: 200}
	target := Key{"entra", "prod"}
	neighbours := []Key{{"entra", "prod2"}, {"entra", "pro"}, {"okta", "prod"}}
	for _, n := range neighbours {
		if err := s.Save(ctx, n, bigSecret(900, "n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Save(ctx, target, bigSecret(900, "s")); err != nil {
		t.Fatal(err)
	}
	before := kr.accounts()
	if err := s.Save(ctx, target, bigSecret(1200, "t")); err != nil {
		t.Fatal(err)
	}
	// An interrupted write leaves orphans in the other slot.
	kr.failSets = 3
	_ = s.Save(ctx, target, bigSecret(1500, "u"))
	kr.failSets = 0
	if err := s.Delete(ctx, target); err != nil {
		t.Fatalf("Delete() error = %v", err)
	}
	if after := kr.accounts(); !slices.Equal(after, before) {
		t.Errorf("after Delete, items = %v\nwant exactly the neighbours' %v", after, before)
	}
	if _, err := s.Load(ctx, target); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, target); err != nil {
		t.Errorf("second Delete() = %v, want nil", err)
	}
}

func TestKeyringTimeoutTellsTheAdmin(t *testing.T) {
	kr := newFakeKeyring()
	kr.block = make(chan struct{})
	defer close(kr.block)
	var notices []string
	var mu sync.Mutex
	s := &KeyringStore{Service: "tether", Keyring: kr, Timeout: 200 * time.Millisecond, Notice: time.Millisecond,
		OnWait: func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() }}
	err := s.Probe(context.Background())
	var sue *StoreUnavailableError
	var te *TimeoutError
	if !errors.As(err, &sue) || !errors.As(err, &te) {
		t.Fatalf("Probe() on a hung keyring = %v, want StoreUnavailableError wrapping TimeoutError", err)
	}
	if !strings.Contains(err.Error(), "--store file") || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("error %q should name the cause and the way out", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 1 || !strings.Contains(notices[0], "waiting for the OS keyring") {
		t.Errorf("notices = %q, want one waiting notice", notices)
	}
}

func TestKeyringProbeCancels(t *testing.T) {
	kr := newFakeKeyring()
	kr.block = make(chan struct{})
	defer close(kr.block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &KeyringStore{Service: "tether", Keyring: kr}
	if err := s.Probe(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Probe(cancelled) = %v, want context.Canceled", err)
	}
}

func TestKeyringUnavailableNamesCauseAndWaysOut(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	kr := newFakeKeyring()
	kr.err = fmt.Errorf("dbus: couldn't determine address of session bus")
	s := &KeyringStore{Service: "tether", Keyring: kr}
	err := s.Probe(context.Background())
	var sue *StoreUnavailableError
	if !errors.As(err, &sue) {
		t.Fatalf("Probe() = %v, want *StoreUnavailableError", err)
	}
	msg := err.Error()
	for _, want := range []string{"OS keyring is unavailable", "DBUS_SESSION_BUS_ADDRESS", "gnome-keyring-daemon", "--store file"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Count(msg, "\n") > 0 {
		t.Errorf("error %q spans several lines; want one", msg)
	}
}

// BenchmarkKeyringChunkedRoundTrip measures saving and loading a secret
// over the Windows limit (chunked) through the store's logic.
func BenchmarkKeyringChunkedRoundTrip(b *testing.B) {
	ctx := context.Background()
	s := &KeyringStore{Service: "tether", Keyring: newFakeKeyring()}
	k := Key{"entra", "prod"}
	sec := bigSecret(8000, "x")
	for b.Loop() {
		if err := s.Save(ctx, k, sec); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Load(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProbeTakesTheWritersLock: the probe exercises what Save will need,
// so a lock that cannot be taken is found before a sign-in, not after.
func TestProbeTakesTheWritersLock(t *testing.T) {
	s := &KeyringStore{Service: "tether-test", Keyring: newFakeKeyring(),
		Lock: func() (func(), error) { return nil, errors.New("no lock file") }}
	if err := s.Probe(context.Background()); err == nil || !strings.Contains(err.Error(), "no lock file") {
		t.Errorf("Probe with a failing lock = %v, want the lock's error", err)
	}
}

func TestLockFileCreatesItsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	unlock, err := LockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		t.Fatalf("LockFile in a missing directory: %v", err)
	}
	unlock()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
}
