package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// probes are the Management API reads the platform makes, one per scope
// (docs-v2 management/v2 <Scopes>; §3.3), with the other scope each
// endpoint also accepts, so that a 200 explained by that one is not taken
// for proof. The user-logs probe needs a user id, from the users probe or
// else from the log events.
var probes = []struct {
	id, scope, path, alsoAccepts string
	after                        []string
}{
	{id: "users", scope: "read:users", path: "/api/v2/users?per_page=1&fields=user_id&include_fields=true"},
	{id: "logs", scope: "read:logs", path: "/api/v2/logs?per_page=1", alsoAccepts: "read:logs_users"},
	{id: "user-logs", scope: "read:logs_users", path: "/api/v2/users/{user}/logs?per_page=1", alsoAccepts: "read:logs", after: []string{"users", "logs"}},
	{id: "guardian", scope: "read:guardian_factors", path: "/api/v2/guardian/factors"},
}

// alsoAccepted returns the other scope the probe of scope accepts.
func alsoAccepted(scope string) string {
	for _, p := range probes {
		if p.scope == scope {
			return p.alsoAccepts
		}
	}
	return ""
}

// probeTable turns probes into the kit's table, each run through pr.
func probeTable(t tenant, pr *providers.Prober) []providers.Probe {
	var table []providers.Probe
	for _, p := range probes {
		run := func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			return pr.Get(ctx, t.url(p.path))
		}
		if p.after != nil {
			run = func(ctx context.Context, after map[string]providers.Answer) providers.Answer {
				id, empty, err := aUserID(after["users"], after["logs"])
				switch {
				case err != nil:
					return providers.Answer{Request: "GET " + p.path, Err: err}
				case empty:
					return providers.Answer{Skipped: "the tenant has no users, so GET " + strings.Replace(p.path, "{user}", "…", 1) + " could not run"}
				}
				return pr.Get(ctx, t.url(strings.Replace(p.path, "{user}", url.PathEscape(id), 1)))
			}
		}
		table = append(table, providers.Probe{ID: p.id, Decides: []string{p.scope}, After: p.after, Run: run})
	}
	return table
}

// aUserID finds a user id to read the logs of: the first user of the
// users page, else the first log event that names a user. empty means
// that the users page proved the tenant has none.
func aUserID(users, logs providers.Answer) (id string, empty bool, err error) {
	// noUsers: the users page answered with no user at all. A page that
	// lists users without a user_id proves nothing about the tenant.
	noUsers := false
	if users.OK() {
		var page []struct {
			ID string `json:"user_id"`
		}
		if err := json.Unmarshal(users.Body, &page); err != nil {
			return "", false, errors.New("not run: the users answer is not a JSON array of users")
		}
		for _, u := range page {
			if u.ID != "" {
				return u.ID, false, nil
			}
		}
		noUsers = len(page) == 0
		if noUsers && !logs.OK() {
			return "", true, nil
		}
	}
	if logs.OK() {
		var events []struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(logs.Body, &events); err != nil {
			return "", false, errors.New("not run: the logs answer is not a JSON array of events")
		}
		for _, e := range events {
			if e.UserID != "" {
				return e.UserID, false, nil
			}
		}
		if noUsers {
			return "", true, nil
		}
	}
	why := "the users probe did not answer"
	if users.OK() {
		why = "the users page names no user_id"
	}
	return "", false, errors.New("not run: no user id to read the logs of (" + why + ", and the latest log event names no user)")
}

// decodeError reads the Management API's error envelope.
func decodeError(_ int, body []byte) (code, message string) {
	var env struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	_ = json.Unmarshal(body, &env)
	return env.ErrorCode, env.Message
}

// grant is what the token says of one scope.
type grant int

const (
	lacks grant = iota
	grants
	unsaid // the token lists no scopes at all
)

// observe decides one scope from the token's grant and the probe's answer.
// It is pure; the table in verify_internal_test.go is its specification.
//
//   - The token's scope is the grant itself: a scope it lacks is missing,
//     whatever the probe says (an endpoint may also accept another scope,
//     and then the evidence says which).
//   - A granted scope needs the probe to agree: 200 proves it; 403
//     insufficient_scope disproves it; anything else is no verdict.
//   - A probe that could not run because the tenant is empty (no user to
//     read logs for) leaves the token's grant as the evidence, and says so.
//     A probe that did not run because another failed is no verdict.
//   - When the token lists no scopes, only a refusal decides; a 200 may
//     come from another scope the endpoint accepts, so it stays unknown.
func observe(scope string, g grant, tokenSource string, a providers.Answer) providers.Observation {
	o := providers.Observation{Identifier: scope}
	claim := tokenSource + " lacks " + scope
	switch g {
	case grants:
		claim = tokenSource + " grants " + scope
	case unsaid:
		claim = "no scope list in " + tokenSource
	}
	o.Evidence = claim + "; " + a.String()
	refused := a.Status == http.StatusForbidden && a.Code == "insufficient_scope" && a.Err == nil
	switch {
	case g == unsaid && refused:
		o.Status = providers.Missing
	case g == unsaid && (a.OK() || a.Skipped != ""):
		o.Status = providers.Unknown
		o.Evidence += " (the endpoint also accepts other scopes, so this does not prove " + scope + ")"
	case g == unsaid:
		o.Status = providers.Error
	case g == lacks:
		o.Status = providers.Missing
	case a.Skipped != "":
		o.Status = providers.Granted
		o.Evidence += "; the token's grant is the only evidence"
	case a.OK():
		o.Status = providers.Granted
	case refused:
		o.Status = providers.Missing
	default:
		o.Status = providers.Error
	}
	return o
}

// Verify mints a fresh token (a cached one would hide a grant changed since
// it was issued), compares its scopes with what the capabilities need, and
// confirms each with a concurrent probe.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	t, err := tenantOf(conn.Settings)
	if err != nil {
		return err
	}
	needs := p.cat.Needs(conn.Capabilities)
	fixURL := t.dashboard("apis/management/authorized-clients")
	clientID := conn.Settings[InputClientID]

	pr := &providers.Prober{Provider: "Auth0", Env: p.env, ResetHeader: "X-RateLimit-Reset", DecodeError: decodeError, Warn: r.Warn}
	var tok *oauth2.Token
	err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		tok, err = p.mint(ctx, t, conn.Method, conn.Settings, cred.Secret)
		return err
	})
	if isNoGrant(err) {
		var te *flows.TokenError
		errors.As(err, &te)
		for _, n := range needs {
			r.Check(providers.Check{Capability: n.Capability, Permission: n.Permission.Name, Status: providers.Missing,
				Evidence: "POST /oauth/token → " + strconv.Itoa(te.Status) + " access_denied: " + te.Description,
				Fix: fmt.Sprintf("authorize application %s for the Auth0 Management API (APIs → Auth0 Management API → Machine To Machine Applications) with %s",
					clientID, strings.Join(p.cat.Scopes(conn.Capabilities), ", ")),
				FixURL: fixURL})
		}
		return nil
	}
	if err != nil {
		return p.signInError(t, conn.Settings, err)
	}
	granted, source, known := grantedScopes(tok)
	grantOf := func(scope string) grant {
		switch {
		case !known:
			return unsaid
		case slices.Contains(granted, scope):
			return grants
		}
		return lacks
	}
	if !known {
		r.Warn("the token lists no scopes: each permission is decided by its probe alone, and excess grants cannot be seen")
	}
	pr.Authorize = func(req *http.Request) error { req.Header.Set("Authorization", "Bearer "+tok.AccessToken); return nil }
	v := providers.Verifier{
		Provider: "Auth0", Needs: needs, Probes: probeTable(t, pr), Sequential: p.env.Sequential,
		Observe: func(scope string, a providers.Answer) providers.Observation {
			o := observe(scope, grantOf(scope), source, a)
			if other := alsoAccepted(scope); o.Status == providers.Missing && a.OK() && grantOf(other) == grants {
				o.Evidence += " (answered because the token grants " + other + ", which this endpoint also accepts)"
			}
			return o
		},
		Fix: func(n catalog.Need) (string, string) { return fixFor(n, clientID), fixURL },
	}
	v.Run(ctx, r)
	for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, granted) {
		r.Check(excessCheck(e, source, clientID, fixURL))
	}
	return nil
}

// CriticalPath is the round trips a verification cannot avoid: the token,
// then the longest chain of probes.
func (p *Provider) CriticalPath(providers.Connection) int {
	return 1 + providers.Depth(probeTable(tenant{}, nil))
}

func fixFor(n catalog.Need, clientID string) string {
	return fmt.Sprintf("tick %s for application %s under APIs → Auth0 Management API → Machine To Machine Applications, then Update",
		strings.Join(n.Permission.Identifiers(), ", "), clientID)
}

// selfGranting are scopes that let an application grant itself more.
var selfGranting = []string{"create:client_grants", "update:client_grants"}

func excessCheck(e providers.ExcessGrant, source, clientID, fixURL string) providers.Check {
	c := providers.Check{Capability: e.Capability, Permission: e.Identifier, Status: providers.Excess,
		Evidence: source + " grants " + e.Identifier + ", which no enabled capability needs",
		Fix:      fmt.Sprintf("untick %s for application %s (least privilege)", e.Identifier, clientID),
		FixURL:   fixURL}
	if e.Permission != "" {
		c.Permission = e.Permission
		c.Fix += fmt.Sprintf(", or enable the %s capability", e.Capability)
	}
	if slices.Contains(selfGranting, e.Identifier) {
		c.Evidence += "; it lets the application grant itself further permissions"
	}
	return c
}
