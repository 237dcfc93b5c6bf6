package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
)

// RecipientError says why a value is not an age recipient. It quotes the
// value only when it has the form of a public key.
type RecipientError struct {
	Value string
	Err   error
}

func (e *RecipientError) Error() string {
	const want = "want an age public key (age1…, from age-keygen -y) or an SSH public key (ssh-ed25519 AAAA… or ssh-rsa AAAA…)"
	switch {
	case looksPrivate(e.Value):
		return "that is a private key, which must never be shared: pass its public key instead; " + want
	case !strings.HasPrefix(e.Value, "age1") && !strings.HasPrefix(e.Value, "ssh-"):
		// Not a public key of any kind: it could be anything pasted by
		// mistake, a secret too, so it is not repeated.
		return fmt.Sprintf("the value is not an age recipient (%v); %s", e.Err, want)
	}
	v := e.Value
	if len(v) > 60 {
		v = v[:57] + "…"
	}
	return fmt.Sprintf("%q is not an age recipient (%v); %s", v, e.Err, want)
}

func (e *RecipientError) Unwrap() error { return e.Err }

// looksPrivate reports whether s might be an identity rather than a
// recipient: an age secret key or a PEM private key.
func looksPrivate(s string) bool {
	u := strings.ToUpper(s)
	return strings.Contains(u, "AGE-SECRET-KEY-") || strings.Contains(u, "AGE-PLUGIN-") || strings.Contains(u, "PRIVATE KEY")
}

// ParseRecipient reads one age recipient: an X25519 key (age1…), a
// post-quantum hybrid key (age1pq1…), or an SSH public key (ssh-ed25519,
// ssh-rsa of 2048 bits or more) as a line of authorized_keys, comment
// included.
func ParseRecipient(s string) (age.Recipient, error) {
	v := strings.TrimSpace(s)
	if looksPrivate(v) {
		return nil, &RecipientError{Value: v, Err: errors.New("a private key")}
	}
	var (
		r   age.Recipient
		err error
	)
	switch {
	case strings.HasPrefix(v, "age1pq1"):
		r, err = age.ParseHybridRecipient(v)
	case strings.HasPrefix(v, "age1"):
		r, err = age.ParseX25519Recipient(v)
	case strings.HasPrefix(v, "ssh-"):
		r, err = agessh.ParseRecipient(v)
	default:
		err = errors.New("unknown recipient type")
	}
	if err != nil {
		return nil, &RecipientError{Value: v, Err: unquoted(err, v)}
	}
	return r, nil
}

// unquoted drops what age's errors repeat of the value, which
// RecipientError already shows.
func unquoted(err error, v string) error {
	msg, q := err.Error(), strconv.Quote(v)
	i := strings.Index(msg, q)
	if i < 0 {
		return err
	}
	before := strings.TrimSuffix(strings.TrimSpace(msg[:i]), ":")
	after := strings.TrimSpace(strings.TrimPrefix(msg[i+len(q):], ":"))
	return errors.New(before + ": " + after)
}

// Encrypt encrypts data to every recipient, in ASCII armor (PEM-like
// text that survives mail and tickets) when armored is set. Anyone holding
// the identity of one of them decrypts it with age -d.
func Encrypt(w io.Writer, data []byte, armored bool, recipients ...age.Recipient) error {
	if len(recipients) == 0 {
		return errors.New("encrypting: no recipient")
	}
	out := w
	var a io.WriteCloser
	if armored {
		a = armor.NewWriter(w)
		out = a
	}
	enc, err := age.Encrypt(out, recipients...)
	if err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	if _, err := enc.Write(data); err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	if a != nil {
		if err := a.Close(); err != nil {
			return fmt.Errorf("encrypting: %w", err)
		}
	}
	return nil
}

// EncryptBytes is Encrypt into memory.
func EncryptBytes(data []byte, armored bool, recipients ...age.Recipient) ([]byte, error) {
	var b bytes.Buffer
	if err := Encrypt(&b, data, armored, recipients...); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteNewFile writes data to a file at path with mode 0600. Unless
// replace is set, the file must not exist (O_EXCL: nor may a symbolic link
// stand in its place), and an existing one is an error that wraps
// fs.ErrExist; with replace, an existing file is atomically replaced
// (WriteFileAtomic). The directory must exist: a mistyped path creates
// nothing. A failed write leaves no file behind.
func WriteNewFile(path string, data []byte, replace bool) (err error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("writing %s: there is no directory %s", path, dir)
	}
	if replace {
		return WriteFileAtomic(path, data, 0o600)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err // a *PathError; errors.Is(err, fs.ErrExist) when it exists
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(path)
		}
	}()
	if err := writeSynced(f, path, data); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}
