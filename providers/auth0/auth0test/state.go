package auth0test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// ErrBadState means that a state given to Restore is not one State
// wrote for these tenants; the error that wraps it says where.
var ErrBadState = errors.New("auth0test: invalid emulator state")

// stateVersion is the version of the state State writes.
const stateVersion = 1

// Limits on a restored state, far above what a demo tenant holds.
const (
	maxStateBytes = 1 << 20
	maxAudiences  = 100
	maxScopes     = 1000
	maxScopeLen   = 256
	maxURLLen     = 2048
)

// state is what survives the process: the tenants' client grants, the
// only part of a tenant that a command changes (the sandbox's "fix it"
// key grants a withheld scope). No secret is part of it.
type state struct {
	Version int           `json:"version"`
	Tenants []tenantState `json:"tenants"`
}

type tenantState struct {
	Domain  string        `json:"domain"`
	Clients []clientState `json:"clients"`
}

type clientState struct {
	ID     string              `json:"client_id"`
	Grants map[string][]string `json:"grants"`
}

// State returns the emulator's mutable state as JSON, for the sandbox to
// keep between commands as a tenant keeps its settings: every client's
// grants. It holds no secret.
func (s *Server) State() ([]byte, error) {
	s.mu.Lock()
	st := state{Version: stateVersion, Tenants: []tenantState{}}
	for _, t := range s.tenants {
		ts := tenantState{Domain: t.Domain, Clients: []clientState{}}
		for _, c := range t.Clients {
			g := cloneGrants(c.Grants)
			if g == nil {
				g = map[string][]string{}
			}
			ts.Clients = append(ts.Clients, clientState{ID: c.ID, Grants: g})
		}
		st.Tenants = append(st.Tenants, ts)
	}
	s.mu.Unlock()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("auth0test: encoding the state: %w", err)
	}
	return append(b, '\n'), nil
}

// Restore sets the emulator's mutable state to one State returned,
// perhaps in another process. It validates data as input: a state that
// does not parse, has another version, names a tenant or client this
// emulator does not have, or holds an audience or scope that Auth0 would
// not, is refused with an error wrapping ErrBadState, and nothing
// changes. Tenants and clients the state does not name keep their
// grants.
func (s *Server) Restore(data []byte) error {
	if len(data) > maxStateBytes {
		return fmt.Errorf("%w: %d bytes, more than the %d a state can hold", ErrBadState, len(data), maxStateBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st state
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the state", ErrBadState)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadState, st.Version, stateVersion)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type change struct {
		c      *Client
		grants map[string][]string
	}
	var changes []change
	seenTenant := map[string]bool{}
	for _, ts := range st.Tenants {
		ti := slices.IndexFunc(s.tenants, func(t Tenant) bool { return t.Domain == ts.Domain })
		if ti < 0 || seenTenant[ts.Domain] {
			return fmt.Errorf("%w: tenant %q is unknown or listed twice", ErrBadState, ts.Domain)
		}
		seenTenant[ts.Domain] = true
		seenClient := map[string]bool{}
		for _, cs := range ts.Clients {
			ci := slices.IndexFunc(s.tenants[ti].Clients, func(c Client) bool { return c.ID == cs.ID })
			if ci < 0 || seenClient[cs.ID] {
				return fmt.Errorf("%w: tenant %s: client %q is unknown or listed twice", ErrBadState, ts.Domain, cs.ID)
			}
			seenClient[cs.ID] = true
			if err := checkGrants(cs.Grants); err != nil {
				return fmt.Errorf("%w: tenant %s: client %s: %v", ErrBadState, ts.Domain, cs.ID, err)
			}
			changes = append(changes, change{&s.tenants[ti].Clients[ci], cloneGrants(cs.Grants)})
		}
	}
	for _, ch := range changes {
		ch.c.Grants = ch.grants
	}
	return nil
}

// checkGrants validates client grants read from a state: https audiences
// with a host, each with a list of distinct scopes as Auth0 names them
// (no space or control character, at most maxScopeLen bytes).
func checkGrants(g map[string][]string) error {
	if g == nil {
		return errors.New(`"grants" must be an object of audience → scopes`)
	}
	if len(g) > maxAudiences {
		return fmt.Errorf("%d audiences, more than %d", len(g), maxAudiences)
	}
	for aud, scopes := range g {
		u, err := url.Parse(aud)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(aud) > maxURLLen {
			return fmt.Errorf("audience %q is not an API identifier like https://acme.us.auth0.com/api/v2/", aud)
		}
		if scopes == nil {
			return fmt.Errorf("audience %s: the scopes must be a list ([] for none)", aud)
		}
		if len(scopes) > maxScopes {
			return fmt.Errorf("audience %s: %d scopes, more than %d", aud, len(scopes), maxScopes)
		}
		seen := map[string]bool{}
		for _, sc := range scopes {
			if sc == "" || len(sc) > maxScopeLen || strings.IndexFunc(sc, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
				return fmt.Errorf("audience %s: %q is not a scope like read:users", aud, sc)
			}
			if seen[sc] {
				return fmt.Errorf("audience %s: the scope %s is listed twice", aud, sc)
			}
			seen[sc] = true
		}
	}
	return nil
}
