package plain

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/tetherdev/tether/providers"
)

// ExportFormat is how tether export writes a connection.
type ExportFormat string

// The export formats.
const (
	// FormatJSON is the ExportDocument.
	FormatJSON ExportFormat = "json"
	// FormatEnv is NAME=value lines a POSIX shell sources (set -a; . FILE),
	// each value shell-quoted.
	FormatEnv ExportFormat = "env"
)

// ExportVersion is the format version of ExportDocument.
const ExportVersion = 1

// ExportDocument is the stable `tether export --format json` document:
// the connection and each field the platform's form asks for, in the
// form's order. Fields may be added; none is renamed or removed.
type ExportDocument struct {
	Version  int           `json:"version"`
	Provider string        `json:"provider"`
	Name     string        `json:"name"`
	Tenant   string        `json:"tenant"`
	Method   string        `json:"method"`
	APIHost  string        `json:"api_host,omitempty"`
	Fields   []ExportField `json:"fields"`
}

// ExportField is one field of an ExportDocument.
type ExportField struct {
	Key    string `json:"key"`
	Label  string `json:"label"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
	// Env is the variable tether exec sets and the env format writes.
	Env string `json:"env"`
}

// NewExportDocument builds the document for h.
func NewExportDocument(h providers.Handover) ExportDocument {
	c := h.Connection
	doc := ExportDocument{Version: ExportVersion, Provider: c.Provider, Name: c.Name, Tenant: h.Description.Tenant,
		Method: c.Method, APIHost: h.Description.APIHost, Fields: []ExportField{}}
	if doc.Tenant == "" {
		doc.Tenant = c.Tenant
	}
	for _, f := range h.Fields {
		doc.Fields = append(doc.Fields, ExportField{Key: f.Key, Label: f.Label, Value: f.Value, Secret: f.Secret, Env: f.EnvVar(c.Provider)})
	}
	return doc
}

// RenderExport renders h in format f.
func RenderExport(h providers.Handover, f ExportFormat) ([]byte, error) {
	var b bytes.Buffer
	switch f {
	case FormatJSON:
		if err := WriteJSON(&b, NewExportDocument(h)); err != nil {
			return nil, err
		}
	case FormatEnv:
		fmt.Fprintf(&b, "# tether export %s (%s)\n", oneLine(h.Connection.Key().String()), oneLine(h.Connection.Tenant))
		for _, e := range h.Environ() {
			name, value, _ := strings.Cut(e, "=")
			b.WriteString(name + "=" + ShellQuote(value) + "\n")
		}
	default:
		return nil, fmt.Errorf("unknown export format %q", f)
	}
	return b.Bytes(), nil
}

// oneLine keeps a comment on its line whatever the metadata holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// shellSafe are the bytes a POSIX shell word may hold unquoted with no
// meaning of their own.
func shellSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@%+=:,./_-", c) >= 0
}

// ShellQuote returns s as one POSIX shell word that expands to s exactly:
// as it is when every byte is safe, else in single quotes, inside which
// nothing is special, each quote in s closing, escaping and reopening them:
//
//	it's → 'it'\''s'
//
// Newlines are kept (a PEM key survives); a NUL byte cannot be carried by
// a shell at all, and providers.Manager.Export refuses one before this is
// called.
func ShellQuote(s string) string {
	safe := s != ""
	for i := 0; i < len(s) && safe; i++ {
		safe = shellSafe(s[i])
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TokenDocument is the stable `tether token --json` document.
type TokenDocument struct {
	Connection  string     `json:"connection"`
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// Scopes are the granted scopes as the provider listed them; empty
	// when it did not say.
	Scopes []string `json:"scopes"`
}

// NewTokenDocument builds the document for t.
func NewTokenDocument(t providers.AccessToken) TokenDocument {
	doc := TokenDocument{Connection: t.Connection.Key().String(), AccessToken: t.Token.AccessToken,
		TokenType: t.Token.Type(), Scopes: t.Scopes}
	if !t.Token.Expiry.IsZero() {
		exp := t.Token.Expiry.UTC().Truncate(time.Second)
		doc.ExpiresAt = &exp
	}
	if doc.Scopes == nil {
		doc.Scopes = []string{}
	}
	return doc
}
