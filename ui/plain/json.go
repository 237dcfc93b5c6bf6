package plain

import (
	"encoding/json"
	"io"
	"time"

	"github.com/tetherdev/tether/providers"
)

// VerifyDocument is the stable `tether verify --json` document. Fields may
// be added; none is renamed or removed.
type VerifyDocument struct {
	Connections []VerifyConnection `json:"connections"`
}

// VerifyConnection is one connection's verification.
type VerifyConnection struct {
	Provider   string            `json:"provider"`
	Name       string            `json:"name"`
	Tenant     string            `json:"tenant"`
	Method     string            `json:"method"`
	Principal  string            `json:"principal,omitempty"`
	APIHost    string            `json:"api_host,omitempty"`
	OK         bool              `json:"ok"`
	Verdict    providers.Verdict `json:"verdict"`
	VerifiedAt time.Time         `json:"verified_at"`
	Checks     []providers.Check `json:"checks"`
	Warnings   []string          `json:"warnings"`
	Error      string            `json:"error,omitempty"`
}

// NewVerifyDocument builds the document for results.
func NewVerifyDocument(results []providers.Result) VerifyDocument {
	doc := VerifyDocument{Connections: []VerifyConnection{}}
	for _, r := range results {
		c := VerifyConnection{
			Provider: r.Connection.Provider, Name: r.Connection.Name, Tenant: r.Connection.Tenant,
			Method: r.Connection.Method, Principal: r.Description.Principal, APIHost: r.Description.APIHost, OK: r.Verdict() == providers.VerdictOK, Verdict: r.Verdict(),
			VerifiedAt: r.VerifiedAt, Checks: r.Checks, Warnings: r.Warnings,
		}
		if c.Checks == nil {
			c.Checks = []providers.Check{}
		}
		if c.Warnings == nil {
			c.Warnings = []string{}
		}
		if r.Err != nil {
			c.Error = r.Err.Error()
		}
		doc.Connections = append(doc.Connections, c)
	}
	return doc
}

// StatusDocument is the stable `tether status --json` document.
type StatusDocument struct {
	Connections []StatusConnection `json:"connections"`
}

// StatusConnection is one stored connection.
type StatusConnection struct {
	providers.Connection
	// Credential says where the secret is, and whether it is there.
	Credential string `json:"credential"`
}

// WriteJSON writes v indented, with a final newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
