package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tetherdev/tether/flows"
)

// Connection is what tether keeps about a connection besides its secret:
// nothing here is secret, and the file it lives in may be read by anyone
// who can read the admin's config directory.
type Connection struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	Method   string `json:"method"`
	// Tenant names the tenant, org or domain for display.
	Tenant string `json:"tenant"`
	// Settings are the non-secret inputs (domain, client id, …).
	Settings     map[string]string `json:"settings,omitempty"`
	Capabilities []string          `json:"capabilities"`
	// Store is where the secret lives, so that a later TETHER_STORE does
	// not send tether looking in the wrong place.
	Store            flows.StoreKind `json:"store"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	SecretExpiresAt  *time.Time      `json:"secret_expires_at,omitempty"`
	LastVerification *Verification   `json:"last_verification,omitempty"`
}

// Key returns the store key of c.
func (c Connection) Key() flows.Key { return flows.Key{Provider: c.Provider, Name: c.Name} }

// Verification records the outcome of the last verification.
type Verification struct {
	At      time.Time `json:"at"`
	Verdict Verdict   `json:"verdict"`
	// Counts holds the number of checks per status.
	Counts map[Status]int `json:"counts"`
	// Missing names the permissions that were missing.
	Missing []string `json:"missing,omitempty"`
	// Excess names the grants that were in excess.
	Excess []string `json:"excess,omitempty"`
}

// Draft is a setup in progress: enough to resume it at the step it
// reached. It never holds a secret.
type Draft struct {
	Provider     string            `json:"provider"`
	Name         string            `json:"name"`
	Method       string            `json:"method,omitempty"`
	Step         string            `json:"step"`
	Capabilities []string          `json:"capabilities,omitempty"`
	Inputs       map[string]string `json:"inputs,omitempty"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// RecordError says that a record of the connections file is not used, and
// why: it does not decode, or it fails the checks a setup makes of its
// input. The other records are used as usual.
type RecordError struct {
	// Path is the connections file.
	Path string
	// Draft is set for a setup in progress, unset for a connection.
	Draft bool
	// N is the record's position in its list, counting from 1.
	N int
	// Key is the record's provider and name as written, when they are
	// strings; they may be anything else, such as a path.
	Key flows.Key
	Err error

	raw json.RawMessage // the record as read, written back unchanged
}

func (e *RecordError) Error() string {
	what := "connection"
	if e.Draft {
		what = "setup in progress"
	}
	fix := "remove it from the file"
	if e.Key.Validate() == nil && flows.ValidName(e.Key.Name) == nil {
		fix = fmt.Sprintf("run tether setup %s --name %s to replace it, or remove it from the file", e.Key.Provider, e.Key.Name)
	}
	return fmt.Sprintf("%s %d (%q) in %s is not used: %v; %s", what, e.N, e.Key.String(), e.Path, e.Err, fix)
}

func (e *RecordError) Unwrap() error { return e.Err }

// unusable makes the RecordError of the i-th record, raw, of a list.
func unusable(path string, draft bool, i int, raw json.RawMessage, err error) *RecordError {
	var key struct{ Provider, Name any }
	_ = json.Unmarshal(raw, &key)
	p, _ := key.Provider.(string)
	n, _ := key.Name.(string)
	return &RecordError{Path: path, Draft: draft, N: i + 1, Key: flows.Key{Provider: p, Name: n}, Err: err, raw: raw}
}

// ErrConnectionReplaced means that a connection was set up again while a
// verification of the earlier one ran: what that verification refreshed
// belongs to the earlier credential and is not stored over the new one.
var ErrConnectionReplaced = errors.New("the connection was set up again meanwhile")

// saveRotated stores a secret that a verification of conn refreshed or
// rotated, holding conn's lock, so that the stored secret and the
// recorded metadata still come from one setup.
func (m *Manager) saveRotated(ctx context.Context, store flows.Store, conn Connection, s flows.Secret) error {
	return m.Config.WithLock(conn.Key(), func() error {
		f, err := m.config().Load()
		if err != nil {
			return err
		}
		if cur, ok := f.Find(conn.Key()); !ok || !cur.UpdatedAt.Equal(conn.UpdatedAt) || cur.Method != conn.Method {
			return fmt.Errorf("keeping the refreshed credential of %s: %w", conn.Key(), ErrConnectionReplaced)
		}
		return store.Save(ctx, conn.Key(), s)
	})
}
