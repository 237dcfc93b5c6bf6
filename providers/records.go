package providers

import (
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
