package sshd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Audit actions.
const (
	ActionSession = "session" // a wizard session opened or closed
	ActionStatus  = "status"
	ActionVerify  = "verify"
	ActionSetup   = "setup"
	ActionForget  = "forget"
	ActionDenied  = "denied" // refused: an unknown key, a viewer's change, a limit
)

// AuditEntry is one line of the audit log. It never holds a secret: the
// key is named by its fingerprint, the connection by provider/name.
type AuditEntry struct {
	Time        time.Time `json:"time"`
	Fingerprint string    `json:"fingerprint"`
	User        string    `json:"user"`
	Role        Role      `json:"role,omitempty"`
	Action      string    `json:"action"`
	Connection  string    `json:"connection,omitempty"`
	Outcome     string    `json:"outcome"`
	Remote      string    `json:"remote,omitempty"`
}

// AuditLog appends entries as JSON lines to a file opened with
// O_APPEND, each written in one call and synced before Write returns.
type AuditLog struct {
	mu  sync.Mutex
	f   *os.File
	now func() time.Time
}

// OpenAuditLog opens (or creates, 0600) the audit log at path.
func OpenAuditLog(path string) (*AuditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the audit log's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	return &AuditLog{f: f, now: time.Now}, nil
}

// Write appends e (its Time set now when zero) and syncs the file.
func (l *AuditLog) Write(e AuditEntry) error {
	if l == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = l.now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding an audit entry: %w", err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return os.ErrClosed
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("writing the audit log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("syncing the audit log: %w", err)
	}
	return nil
}

// Close closes the file.
func (l *AuditLog) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
