package oktatest

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// ErrBadState means that a state given to Restore is not one State wrote.
var ErrBadState = errors.New("oktatest: invalid emulator state")

const stateVersion = 1

// state is what survives the process: what a command changes in the demo
// org (an app tether created, its grants, keys and roles, custom roles
// and resource sets, a revoked token). It holds public keys and ids only:
// no token value.
type state struct {
	Version      int                     `json:"version"`
	ServiceApps  []appState              `json:"service_apps"`
	Assignments  map[string][]Assignment `json:"assignments"`
	CustomRoles  []CustomRole            `json:"custom_roles"`
	ResourceSets []ResourceSet           `json:"resource_sets"`
	// Tokens are the ids of the API tokens not revoked.
	Tokens []string `json:"tokens"`
}

type appState struct {
	ClientID string            `json:"client_id"`
	Label    string            `json:"label"`
	Scopes   []string          `json:"scopes"`
	DPoP     bool              `json:"dpop"`
	Keys     []jose.JSONWebKey `json:"keys"`
	Inactive []jose.JSONWebKey `json:"inactive,omitempty"`
}

// State returns the demo org's mutable state as JSON.
func (e *Emulator) State() ([]byte, error) {
	o, ok := e.Org(DemoDomain)
	if !ok {
		return nil, errNoOrg(DemoDomain)
	}
	st := state{Version: stateVersion, Assignments: o.Assignments, CustomRoles: o.CustomRoles, ResourceSets: o.ResourceSets, Tokens: []string{}}
	for _, a := range o.ServiceApps {
		as := appState{ClientID: a.ClientID, Label: a.Label, Scopes: a.Scopes, DPoP: a.DPoP, Keys: []jose.JSONWebKey{}}
		for _, k := range a.PublicKeys {
			as.Keys = append(as.Keys, jose.JSONWebKey{Key: k, Use: "sig"})
		}
		for _, k := range a.Inactive {
			as.Inactive = append(as.Inactive, jose.JSONWebKey{Key: k, Use: "sig"})
		}
		st.ServiceApps = append(st.ServiceApps, as)
	}
	for _, t := range o.Tokens {
		st.Tokens = append(st.Tokens, t.ID)
	}
	return json.MarshalIndent(st, "", "  ")
}

var (
	appIDPattern    = regexp.MustCompile(`^0oa[a-z0-9A-Z]{10,30}$`)
	objectIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{6,40}$`)
	scopePattern    = regexp.MustCompile(`^okta\.[A-Za-z.]{1,80}$`)
	permPattern     = regexp.MustCompile(`^okta\.[A-Za-z.]{1,80}$`)
)

// Restore takes a saved state, validating it as input: anything else is
// refused with ErrBadState and nothing changes. Then this run's
// withholding applies.
func (e *Emulator) Restore(data []byte) error {
	if len(data) > 1<<20 {
		return fmt.Errorf("%w: %d bytes", ErrBadState, len(data))
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
	apps, err := checkState(st)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	err = e.update(DemoDomain, func(o *Org) error {
		o.ServiceApps, o.CustomRoles, o.ResourceSets = apps, st.CustomRoles, st.ResourceSets
		o.Assignments = st.Assignments
		if o.Assignments == nil {
			o.Assignments = map[string][]Assignment{}
		}
		o.Tokens = slices.DeleteFunc(o.Tokens, func(t APIToken) bool { return !slices.Contains(st.Tokens, t.ID) })
		return nil
	})
	if err != nil {
		return err
	}
	return e.apply()
}

func checkState(st state) ([]ServiceApp, error) {
	var apps []ServiceApp
	for _, a := range st.ServiceApps {
		if !appIDPattern.MatchString(a.ClientID) || len(a.Label) > 100 {
			return nil, fmt.Errorf("app %q is not an app id", a.ClientID)
		}
		app := ServiceApp{ClientID: a.ClientID, Label: a.Label, DPoP: a.DPoP}
		for _, sc := range a.Scopes {
			if !scopePattern.MatchString(sc) {
				return nil, fmt.Errorf("app %s: %q is not an okta.* scope", a.ClientID, sc)
			}
			app.Scopes = append(app.Scopes, sc)
		}
		for _, k := range a.Keys {
			if !k.Valid() || !k.IsPublic() {
				return nil, fmt.Errorf("app %s: a key is not a public key", a.ClientID)
			}
			app.PublicKeys = append(app.PublicKeys, crypto.PublicKey(k.Key))
		}
		for _, k := range a.Inactive {
			if !k.Valid() || !k.IsPublic() {
				return nil, fmt.Errorf("app %s: an inactive key is not a public key", a.ClientID)
			}
			app.Inactive = append(app.Inactive, crypto.PublicKey(k.Key))
		}
		apps = append(apps, app)
	}
	for who, as := range st.Assignments {
		if !objectIDPattern.MatchString(who) {
			return nil, fmt.Errorf("%q is not a user or app id", who)
		}
		for _, a := range as {
			if a.Type == "" || (a.Type == "CUSTOM" && (!objectIDPattern.MatchString(a.Role) || !objectIDPattern.MatchString(a.ResourceSet))) {
				return nil, fmt.Errorf("%s: an assignment names no valid role", who)
			}
		}
	}
	for _, cr := range st.CustomRoles {
		if !objectIDPattern.MatchString(cr.ID) {
			return nil, fmt.Errorf("%q is not a role id", cr.ID)
		}
		for _, p := range cr.Permissions {
			if !permPattern.MatchString(p) {
				return nil, fmt.Errorf("role %s: %q is not a permission", cr.ID, p)
			}
		}
	}
	for _, rs := range st.ResourceSets {
		if !objectIDPattern.MatchString(rs.ID) {
			return nil, fmt.Errorf("%q is not a resource set id", rs.ID)
		}
	}
	for _, t := range st.Tokens {
		if !objectIDPattern.MatchString(t) {
			return nil, fmt.Errorf("%q is not a token id", t)
		}
	}
	return apps, nil
}
