// Package audit keeps tether's audit log: one JSON object per line, each
// saying who did what to which connection and how it ended, appended with
// O_APPEND and synced before the action is reported done. It is shared by
// the local commands that hand a credential over (token, export, exec)
// and by `tether serve`, whose records also name the SSH key, its role and
// the SSH user.
//
// A record never holds a secret: it has no field for one, and its strings
// are names, outcomes and error messages, which tether never puts a secret
// in. It imports nothing of tether's and renders nothing.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FileName is the audit log's name in the config directory.
const FileName = "audit.log"

// Outcomes every writer uses; exec adds "exit N".
const (
	OK      = "ok"      // done
	Refused = "refused" // not done, on purpose (a terminal without --reveal; a viewer's setup)
	Failed  = "error"   // not done: the reason says why
)

// Record is one line of the audit log. Fields after Reason are set only by
// writers that know them.
type Record struct {
	Time time.Time `json:"time"`
	// User is the OS user tether runs as.
	User string `json:"user"`
	// Action is what was asked: token, export, exec, setup, verify,
	// forget, denied.
	Action string `json:"action"`
	// Connection is PROVIDER/NAME, or the reference as given when it named
	// none.
	Connection string `json:"connection,omitempty"`
	// Outcome is OK, Refused, Failed, or "exit N" for a command tether ran.
	Outcome string `json:"outcome"`
	// Reason says why an action failed or was refused.
	Reason string `json:"reason,omitempty"`
	// Detail is what else identifies the action: where an export went
	// (a file, stdout, how many age recipients), the program exec ran.
	Detail string `json:"detail,omitempty"`

	// KeyFingerprint is the SHA256 fingerprint of the SSH key that
	// authenticated (tether serve).
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// Role is that key's role: admin or viewer (tether serve).
	Role string `json:"role,omitempty"`
	// SSHUser is the user name the SSH client asked for (tether serve).
	SSHUser string `json:"ssh_user,omitempty"`
	// Remote is the client's address (tether serve).
	Remote string `json:"remote,omitempty"`
}

// maxField bounds each string of a record, so that one line stays one
// short write.
const maxField = 1024

// Log appends records to the file at Path. It is safe for concurrent use;
// separate processes appending to one file do not interleave lines, since
// each line is one write to a file opened with O_APPEND.
type Log struct {
	Path string
	// Now is the clock for records without a time; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

// ErrNoPath means that a Log was used without a path.
var ErrNoPath = errors.New("audit log: no path")

// Append writes r as one line and syncs it to disk. A record without a
// time gets the current one, and without a user the OS user's name.
func (l *Log) Append(r Record) error {
	if l.Path == "" {
		return ErrNoPath
	}
	if r.Time.IsZero() {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		r.Time = now()
	}
	r.Time = r.Time.UTC()
	if r.User == "" {
		r.User = CurrentUser()
	}
	for _, s := range []*string{&r.User, &r.Action, &r.Connection, &r.Outcome, &r.Reason, &r.Detail, &r.KeyFingerprint, &r.Role, &r.SSHUser, &r.Remote} {
		*s = clip(*s)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	line = append(line, '\n')

	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		_ = f.Close()
		return fmt.Errorf("audit log %s: not a regular file", l.Path)
	}
	_, werr := f.Write(line)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, werr)
	}
	return nil
}

// clip keeps a field to one bounded line: control characters would be
// escaped by JSON anyway, but a reader grepping the log sees one line per
// record either way.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxField {
		cut := maxField
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xc0 != 0x80 }

// CurrentUser names the OS user tether runs as: the account name, else
// $USER or $USERNAME, else the numeric uid.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// Outcome turns how an action ended into a record's outcome and reason:
// OK for nil, Failed with the error's first line otherwise.
func Outcome(err error) (outcome, reason string) {
	if err == nil {
		return OK, ""
	}
	msg, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return Failed, msg
}
