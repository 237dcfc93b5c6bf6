package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// probe is a Management API read that needs one scope.
type probe struct {
	scope string
	path  string // with query; {user} is a user id from the users probe
}

// probes are the Management API reads the platform makes, one per scope
// (docs-v2 management/v2 <Scopes>; §3.3). The user-logs probe needs a user
// id and runs after the users probe.
var probes = []probe{
	{scope: "read:users", path: "/api/v2/users?per_page=1&fields=user_id&include_fields=true"},
	{scope: "read:logs", path: "/api/v2/logs?per_page=1"},
	{scope: "read:logs_users", path: "/api/v2/users/{user}/logs?per_page=1"},
	{scope: "read:guardian_factors", path: "/api/v2/guardian/factors"},
}

// answer is what a probe got back.
type answer struct {
	request   string // "GET /api/v2/logs?per_page=1"
	status    int    // 0 when no response
	errorCode string // the Management API errorCode
	message   string
	err       error  // transport failure
	skipped   string // why the probe did not run
	userID    string // from the users probe
}

func (a answer) String() string {
	switch {
	case a.skipped != "":
		return a.skipped
	case a.err != nil:
		return a.request + " → " + a.err.Error()
	}
	s := fmt.Sprintf("%s → %d", a.request, a.status)
	if a.errorCode != "" {
		s += " " + a.errorCode
	} else if a.status >= 400 && a.message != "" {
		s += " " + a.message
	}
	return s
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
//     whatever the probe says (an endpoint may also accept another scope).
//   - A granted scope needs the probe to agree: 200 proves it; 403
//     insufficient_scope disproves it; anything else is no verdict.
//   - A probe that could not run (no user to read logs for) leaves the
//     token's grant as the evidence.
//   - When the token lists no scopes, only a refusal decides; a 200 may
//     come from another scope the endpoint accepts, so it stays unknown.
func observe(scope string, g grant, tokenSource string, a answer) providers.Observation {
	o := providers.Observation{Identifier: scope}
	claim := tokenSource + " lacks " + scope
	switch g {
	case grants:
		claim = tokenSource + " grants " + scope
	case unsaid:
		claim = "no scope list in " + tokenSource
	}
	o.Evidence = claim + "; " + a.String()
	switch {
	case g == unsaid && a.status == http.StatusForbidden && a.errorCode == "insufficient_scope":
		o.Status = providers.Missing
	case g == unsaid && a.status == http.StatusOK, g == unsaid && a.skipped != "":
		o.Status = providers.Unknown
		o.Evidence += " (the endpoint also accepts other scopes, so this does not prove " + scope + ")"
	case g == unsaid:
		o.Status = providers.Error
	case g == lacks:
		o.Status = providers.Missing
	case a.skipped != "":
		o.Status = providers.Granted
	case a.err != nil:
		o.Status = providers.Error
	case a.status == http.StatusOK:
		o.Status = providers.Granted
	case a.status == http.StatusForbidden && a.errorCode == "insufficient_scope":
		o.Status = providers.Missing
	default:
		o.Status = providers.Error
	}
	return o
}

// Verify mints a fresh token (a cached one would hide a grant changed since
// it was issued), compares its scopes with what the capabilities need, and
// confirms each with a concurrent probe.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, secret flows.Secret, r providers.Reporter) error {
	t, err := tenantOf(conn.Settings)
	if err != nil {
		return err
	}
	needs := p.cat.Needs(conn.Capabilities)
	fixURL := t.dashboard("apis/management/authorized-clients")
	clientID := conn.Settings[InputClientID]

	tok, err := p.mint(ctx, t, conn.Method, conn.Settings, secret)
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

	// Report each need as soon as the probes of all its scopes answered.
	var mu sync.Mutex
	answers := map[string]answer{}
	reported := make([]bool, len(needs))
	onAnswer := func(scope string, a answer) {
		mu.Lock()
		defer mu.Unlock()
		answers[scope] = a
		for i, n := range needs {
			if reported[i] {
				continue
			}
			var obs []providers.Observation
			for _, id := range n.Permission.Identifiers() {
				a, ok := answers[id]
				if !ok {
					obs = nil
					break
				}
				obs = append(obs, observe(id, grantOf(id), source, a))
			}
			if obs != nil {
				reported[i] = true
				r.Check(providers.Evaluate(n, obs, fixFor(n, clientID), fixURL))
			}
		}
	}
	p.runProbes(ctx, t, tok.AccessToken, p.cat.Scopes(conn.Capabilities), r, onAnswer)
	for i, n := range needs {
		if !reported[i] { // a scope with no probe: Evaluate says it was not checked
			var obs []providers.Observation
			for _, id := range n.Permission.Identifiers() {
				if a, ok := answers[id]; ok {
					obs = append(obs, observe(id, grantOf(id), source, a))
				}
			}
			r.Check(providers.Evaluate(n, obs, fixFor(n, clientID), fixURL))
		}
	}
	for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, granted) {
		r.Check(excessCheck(e, source, clientID, fixURL))
	}
	return nil
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

// runProbes probes every scope in scopes concurrently, calling onAnswer as
// each answers. The user-logs probe waits for the users probe's id.
func (p *Provider) runProbes(ctx context.Context, t tenant, token string, scopes []string, r providers.Reporter, onAnswer func(scope string, a answer)) {
	users := make(chan answer, 1)
	var wg sync.WaitGroup
	for _, pr := range probes {
		if !slices.Contains(scopes, pr.scope) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := pr.path
			if strings.Contains(path, "{user}") {
				u, ok := <-users
				if !ok || u.userID == "" {
					onAnswer(pr.scope, answer{skipped: "no user to read logs for (GET " + strings.Replace(path, "{user}", "…", 1) + " not run)"})
					return
				}
				path = strings.Replace(path, "{user}", url.PathEscape(u.userID), 1)
			}
			a := p.get(ctx, t, token, path, r)
			if pr.scope == "read:users" {
				users <- a
			}
			onAnswer(pr.scope, a)
		}()
	}
	if !slices.Contains(scopes, "read:users") {
		close(users)
	}
	wg.Wait()
}

// maxRetries and maxWait bound the waiting on a rate-limited probe.
const (
	maxRetries = 3
	maxWait    = 30 * time.Second
)

// get runs one probe, waiting out 429s as go-auth0 does: Retry-After
// first, then X-RateLimit-Reset, then exponential backoff.
func (p *Provider) get(ctx context.Context, t tenant, token, path string, r providers.Reporter) answer {
	a := answer{request: "GET " + path}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url(path), nil)
		if err != nil {
			a.err = err
			return a
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		resp, err := p.env.HTTP.Do(req)
		if err != nil {
			a.err = flows.NetError(t.url(path), err)
			return a
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		a.status = resp.StatusCode
		var env struct {
			Message   string `json:"message"`
			ErrorCode string `json:"errorCode"`
		}
		if resp.StatusCode >= 400 {
			_ = json.Unmarshal(body, &env)
			a.errorCode, a.message = env.ErrorCode, env.Message
		}
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(path, "/api/v2/users?") {
			var users []struct {
				ID string `json:"user_id"`
			}
			if json.Unmarshal(body, &users) == nil && len(users) > 0 {
				a.userID = users[0].ID
			}
		}
		if resp.StatusCode != http.StatusTooManyRequests || attempt == maxRetries {
			return a
		}
		wait := retryAfter(resp.Header, p.env.Now(), attempt)
		if wait > maxWait {
			a.message = fmt.Sprintf("rate limited; Auth0 asks to wait %s", wait.Round(time.Second))
			return a
		}
		r.Warn(fmt.Sprintf("Auth0 rate-limited %s; retrying in %s", a.request, wait.Round(time.Second)))
		if err := p.env.Sleep(ctx, wait); err != nil {
			a.err = err
			return a
		}
	}
}

// retryAfter reads how long to wait after a 429.
func retryAfter(h http.Header, now time.Time, attempt int) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return time.Duration(s) * time.Second
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), 0)
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0)
		}
	}
	return time.Duration(1<<attempt) * time.Second
}
