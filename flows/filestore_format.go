package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// A file the file store writes is one line of JSON, the header, naming
// the key it is encrypted to, then an age file:
//
//	{"tether":"credential/v1","recipient":"age1…","key":"identity","file":"/home/a/.config/tether/age-identity.txt"}
//	age-encryption.org/v1
//	…
//
// The header is not secret and not authenticated: it only lets tether
// say which key a credential needs, and check that a credential is there,
// without decrypting it. age authenticates what matters; a forged header
// can only make tether name the wrong key.
const (
	formatCredential = "credential/v1"
	formatKey        = "key/v1"
)

// ageMagic starts every age file (the version line of the format).
const ageMagic = "age-encryption.org/v1\n"

// maxHeaderSize bounds the header line.
const maxHeaderSize = 4096

// fileHeader is the header of a file the store writes.
type fileHeader struct {
	Format string `json:"tether"`
	// Recipient is the age public key the file is encrypted to.
	Recipient string `json:"recipient"`
	// Key is keyIdentity or keyPassphrase: how that key is kept.
	Key string `json:"key"`
	// File is where the key was when the file was written.
	File string `json:"file,omitempty"`
}

func (h fileHeader) valid() bool {
	if h.Format != formatCredential && h.Format != formatKey {
		return false
	}
	if h.Key != keyIdentity && h.Key != keyPassphrase {
		return false
	}
	if strings.ContainsAny(h.File, "\n\r") {
		return false
	}
	_, err := age.ParseX25519Recipient(h.Recipient)
	return err == nil
}

// want describes the key a header names, for a sentence.
func (h fileHeader) want() string {
	s := h.Recipient
	if h.File != "" {
		s += " (" + describeKey(h.Key, h.File) + ")"
	} else if h.Key == keyPassphrase {
		s += " (a passphrase-protected key)"
	}
	return s
}

func writeHeader(w io.Writer, h fileHeader) error {
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, err = w.Write(append(line, '\n'))
	return err
}

// errBadHeader means that a file has no valid header: neither one of
// ours nor age's.
var errBadHeader = errors.New("not a tether or age file")

// splitHeader returns the header of a file the store wrote and the age
// file after it. A file with no header of ours that is an age file (from
// a tether that wrote none) returns the zero header.
func splitHeader(data []byte) (fileHeader, []byte, error) {
	if bytes.HasPrefix(data, []byte(ageMagic)) {
		return fileHeader{}, data, nil
	}
	end := bytes.IndexByte(data[:min(len(data), maxHeaderSize)], '\n')
	if end < 0 || data[0] != '{' {
		return fileHeader{}, nil, errBadHeader
	}
	var h fileHeader
	dec := json.NewDecoder(bytes.NewReader(data[:end]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || dec.More() || !h.valid() {
		return fileHeader{}, nil, errBadHeader
	}
	body := data[end+1:]
	if !bytes.HasPrefix(body, []byte(ageMagic)) {
		return fileHeader{}, nil, errBadHeader
	}
	return h, body, nil
}

// stanzas reads the recipient stanza types of an age file's header
// ("X25519", "scrypt") without decrypting anything: age parses the
// header, then asks an identity that accepts nothing.
func stanzas(body []byte) ([]string, error) {
	_, err := age.Decrypt(bytes.NewReader(body), refuseAll{})
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) || len(nm.StanzaTypes) == 0 {
		return nil, errBadHeader
	}
	return nm.StanzaTypes, nil
}

// refuseAll is an age identity that unwraps nothing.
type refuseAll struct{}

func (refuseAll) Unwrap([]*age.Stanza) ([]byte, error) {
	return nil, fmt.Errorf("%w: header check only", age.ErrIncorrectIdentity)
}

// inspected is what a credential file says about itself without being
// decrypted.
type inspected struct {
	header fileHeader // zero for a file written without one
	body   []byte     // the age file
	scrypt bool       // encrypted directly with a passphrase (no header)
}

// inspect checks that data is a credential file: a valid header, and an
// age header whose stanzas match it.
func inspect(data []byte) (inspected, error) {
	h, body, err := splitHeader(data)
	if err != nil || (h.Format != "" && h.Format != formatCredential) {
		return inspected{}, errBadHeader
	}
	types, err := stanzas(body)
	if err != nil {
		return inspected{}, err
	}
	in := inspected{header: h, body: body}
	switch {
	case len(types) == 1 && types[0] == "scrypt" && h.Format == "":
		in.scrypt = true
	case len(types) == 1 && types[0] == "X25519":
	default:
		return inspected{}, errBadHeader
	}
	return in, nil
}
