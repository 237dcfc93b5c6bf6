package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// The scopes tether verifies (§2.7, §2.8).
const (
	scopeUsers    = scopePrefix + "admin.directory.user.readonly"
	scopeGroups   = scopePrefix + "admin.directory.group.readonly"
	scopeMembers  = scopePrefix + "admin.directory.group.member.readonly"
	scopeRoles    = scopePrefix + "admin.directory.rolemanagement.readonly"
	scopeMobile   = scopePrefix + "admin.directory.device.mobile.readonly"
	scopeChromeOS = scopePrefix + "admin.directory.device.chromeos.readonly"
	scopeAudit    = scopePrefix + "admin.reports.audit.readonly"
	scopeSecurity = scopePrefix + "admin.directory.user.security"
)

// probes are the cheap side-effect-free reads, one per scope (§2.8), each
// made with the token for that scope alone. The members probe needs a
// group: from the groups probe, or, when there is none to read, the
// tokeninfo of its own token stands in (GAM's check serviceaccount).
var probes = []struct {
	id, scope, path string
	after           []string
}{
	{id: "users", scope: scopeUsers, path: "/admin/directory/v1/users?customer=my_customer&maxResults=1"},
	{id: "groups", scope: scopeGroups, path: "/admin/directory/v1/groups?customer=my_customer&maxResults=1"},
	{id: "member-token", path: "/tokeninfo"},
	{id: "members", scope: scopeMembers, path: "/admin/directory/v1/groups/{group}/members?maxResults=1", after: []string{"groups", "member-token"}},
	{id: "roles", scope: scopeRoles, path: "/admin/directory/v1/customer/my_customer/roles?maxResults=1"},
	{id: "mobile", scope: scopeMobile, path: "/admin/directory/v1/customer/my_customer/devices/mobile?maxResults=1"},
	{id: "chromeos", scope: scopeChromeOS, path: "/admin/directory/v1/customer/my_customer/devices/chromeos?maxResults=1"},
	{id: "audit", scope: scopeAudit, path: "/admin/reports/v1/activity/users/all/applications/login?maxResults=1"},
	{id: "security", scope: scopeSecurity, path: "/admin/directory/v1/users/{admin}/tokens"},
}

// tokenInfoURL is the v3 tokeninfo endpoint (§2.4); the token goes in a
// POST form body, so that it never appears in a URL or the evidence.
// The contract shows v3 with a query and v2 with POST; a form body is
// what clients send to the v1 endpoint (yarnpkg's getTokenInfo, POST
// access_token=…), and is UNVERIFIED for v3: the emulator takes both.
const tokenInfoURL = "https://oauth2.googleapis.com/tokeninfo"

// decodeError reads Google's error envelopes: the Admin SDK's
// {"error":{"code","message","errors":[{"reason"}]}} (§2.9), whose code
// is the first reason, and OAuth's {"error":"…","error_description":"…"}.
func decodeError(_ int, body []byte) (code, message string) {
	var env struct {
		Error json.RawMessage `json:"error"`
		Desc  string          `json:"error_description"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	var s string
	if json.Unmarshal(env.Error, &s) == nil {
		return s, env.Desc
	}
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	}
	if json.Unmarshal(env.Error, &e) != nil {
		return "", ""
	}
	if len(e.Errors) > 0 {
		code = e.Errors[0].Reason
	}
	if code == "" && len(e.Details) > 0 {
		code = e.Details[0].Reason
	}
	return code, e.Message
}

// The Admin SDK's 403 reasons (§2.9).
const (
	reasonScope     = "insufficientPermissions"
	reasonForbidden = "forbidden"
	reasonDisabled  = "accessNotConfigured"
)

// probeTable turns probes into the kit's table: each read is made with
// the token minted for its scope.
func probeTable(a account, tokens map[string]minted, pr func(tok *oauth2.Token) *providers.Prober) []providers.Probe {
	var table []providers.Probe
	for _, p := range probes {
		var run func(ctx context.Context, after map[string]providers.Answer) providers.Answer
		switch p.id {
		case "member-token":
			run = func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
				m := tokens[scopeMembers]
				if m.tok == nil {
					return providers.Answer{Skipped: "no token for " + shortScope(scopeMembers)}
				}
				body := []byte(url.Values{"access_token": {m.tok.AccessToken}}.Encode())
				return pr(nil).Do(ctx, http.MethodPost, tokenInfoURL, body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			}
		case "members":
			run = func(ctx context.Context, after map[string]providers.Answer) providers.Answer {
				m := tokens[p.scope]
				if m.tok == nil {
					return providers.Answer{Skipped: "no token for " + shortScope(p.scope)}
				}
				groups := after["groups"]
				if blocksAll(groups) {
					// What refused the groups read (the admin's role, the
					// API) refuses this one too: tokeninfo must not hide it.
					return groups
				}
				gt := tokens[scopeGroups]
				refused := lacksScope(groups) || errors.Is(gt.err, errNotConsented) || isUndelegated(gt.err)
				if !groups.OK() && !refused {
					// A groups read that failed (a 503, the deadline)
					// proves nothing about the domain's groups: tokeninfo
					// stands in only where no group can be had, a domain
					// shown to have none or a groups scope refused.
					return providers.Answer{Err: errors.New("not run: the groups read it needs a group from failed: " + groups.String())}
				}
				group, why := aGroup(groups)
				if group == "" {
					return confirmByTokenInfo(after["member-token"], p.scope, why)
				}
				return pr(m.tok).Get(ctx, adminBase+strings.Replace(p.path, "{group}", url.PathEscape(group), 1))
			}
		default:
			run = func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
				m := tokens[p.scope]
				if m.tok == nil {
					return providers.Answer{Skipped: "no token for " + shortScope(p.scope)}
				}
				return pr(m.tok).Get(ctx, adminBase+strings.Replace(p.path, "{admin}", url.PathEscape(a.admin), 1))
			}
		}
		var decides []string
		if p.scope != "" {
			decides = []string{p.scope}
		}
		table = append(table, providers.Probe{ID: p.id, Decides: decides, After: p.after, Run: run})
	}
	return table
}

// blocksAll reports whether an answer's refusal is not about its scope
// but about what every read needs: the admin's role, the Admin SDK API,
// the token itself.
func blocksAll(a providers.Answer) bool {
	return a.Err == nil && (a.Status == http.StatusUnauthorized ||
		a.Status == http.StatusForbidden && (a.Code == reasonForbidden || a.Code == reasonDisabled))
}

// lacksScope reports whether an answer is the refusal of a token that
// lacks the read's scope: a definite answer, not a failure.
func lacksScope(a providers.Answer) bool {
	return a.Err == nil && a.Status == http.StatusForbidden && a.Code == reasonScope
}

// aGroup finds a group to list the members of, or says why there is none.
func aGroup(groups providers.Answer) (id, why string) {
	if !groups.OK() {
		return "", "no group to list the members of, since " + groups.String()
	}
	var page struct {
		Groups []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"groups"`
	}
	if json.Unmarshal(groups.Body, &page) != nil {
		return "", "the groups answer is not a page of groups"
	}
	if len(page.Groups) == 0 || page.Groups[0].ID == "" {
		return "", "the domain has no groups to list the members of"
	}
	return page.Groups[0].ID, ""
}

// confirmByTokenInfo stands in for a read that could not be made: the
// tokeninfo of the scope's own token must list the scope (GAM's check).
// Its answer is Skipped, so that the evidence says the read did not run.
func confirmByTokenInfo(info providers.Answer, scope, why string) providers.Answer {
	if !info.OK() {
		return providers.Answer{Err: errors.New(why + "; and tokeninfo did not confirm the token: " + info.String())}
	}
	var ti struct {
		Scope string `json:"scope"`
	}
	if json.Unmarshal(info.Body, &ti) != nil || !slices.Contains(strings.Fields(ti.Scope), scope) {
		return providers.Answer{Err: errors.New(why + "; and tokeninfo does not list " + shortScope(scope) + " for its token")}
	}
	return providers.Answer{Skipped: why + "; tokeninfo lists " + shortScope(scope) + " for the delegated token"}
}

// observe decides one scope from its delegated token and its probe's
// answer. It is pure; the table in verify_internal_test.go is its
// specification.
//
//   - A token refused with unauthorized_client is the delegation's
//     verdict: missing, whatever else happened.
//   - Any other refusal or failure of the token request is no verdict.
//   - With a token, the read decides: 200 proves the scope; 403
//     insufficientPermissions disproves it; 403 forbidden is the admin's
//     role, and 403 accessNotConfigured the Admin SDK API, neither a
//     missing scope; a read that could not run but whose token tokeninfo
//     confirms leaves the token as the evidence, and says so.
func observe(a account, m minted, ans providers.Answer, now time.Time) providers.Observation {
	o := providers.Observation{Identifier: m.scope}
	if errors.Is(m.err, errNotConsented) {
		o.Status, o.Evidence = providers.Missing, m.via
		return o
	}
	if m.tok == nil {
		err := m.err
		if err == nil {
			err = errors.New("no token was requested")
		}
		o.Status, o.Evidence, o.Advice = tokenObservation(a, minted{scope: m.scope, err: err}, now)
		return o
	}
	o.Evidence = m.via + "; " + ans.String()
	project := a.project()
	switch {
	case ans.Skipped != "" && ans.Err == nil:
		o.Status = providers.Granted
		o.Evidence += "; the delegated token is the only evidence"
	case ans.OK():
		o.Status = providers.Granted
	case ans.Err != nil:
		o.Status = providers.Error
	case ans.Status == http.StatusForbidden && ans.Code == reasonScope:
		o.Status = providers.Missing
	case ans.Status == http.StatusForbidden && ans.Code == reasonDisabled:
		o.Status = providers.Error
		o.Advice = "the Admin SDK API is not enabled in project " + orUnknown(project) + ": enable it (" + apiLink(project) + "), wait a few minutes, then verify again"
	case ans.Status == http.StatusForbidden && ans.Code == reasonForbidden:
		o.Status = providers.Error
		other := "impersonate a super admin (--set admin_email=…)"
		if a.key == nil {
			other = "have a super admin consent (tether setup google --method browser --replace)"
		}
		o.Advice = a.admin + "'s admin role cannot read what " + shortScope(m.scope) + " covers (a role problem, not a missing scope): " +
			"give " + a.admin + " an admin role with that privilege, or " + other + " (" + adminURL + "/ac/roles)"
	default:
		o.Status = providers.Error
	}
	return o
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// Verify checks what the connection's capabilities need: for a service
// account, it mints a delegated token for each needed scope alone, all at
// once; for a browser consent, it refreshes the stored sign-in, whose
// scope is what the admin left ticked. Then it reads with each scope's
// token what the scope covers. A refusal that is not about one scope (the
// key, the service account, the admin, the clock, a revoked sign-in) is
// the sign-in's failure, with its own sentence and fix.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	needs := p.cat.Needs(conn.Capabilities)
	scopes := p.cat.Scopes(conn.Capabilities)
	var a account
	var tokens map[string]minted
	var fix func(catalog.Need) (string, string)
	var excess []providers.Check
	switch conn.Method {
	case MethodServiceAccount:
		var err error
		if a, err = accountOf(conn.Settings, cred.Secret); err != nil {
			return err
		}
		var extra map[string]minted
		if tokens, extra, err = p.delegatedTokens(ctx, a, scopes, unneeded(p.cat, conn.Capabilities), r); err != nil {
			return err
		}
		link := DelegationLink(a.key.ClientID, scopes, a.admin)
		fix = func(n catalog.Need) (string, string) { return fixFor(n, a.key.ClientID, scopes), link }
		var granted []string
		for _, m := range extra {
			if m.err == nil && m.tok != nil {
				granted = append(granted, m.scope)
			}
		}
		slices.Sort(granted)
		for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, granted) {
			excess = append(excess, delegationExcess(e, extra[e.Identifier], a, scopes))
		}
	case MethodBrowser:
		admin, err := ParseAdmin(conn.Settings[InputAdmin])
		if err != nil {
			return err
		}
		a = account{admin: admin}
		var granted []string
		if tokens, granted, err = p.browserTokens(ctx, conn, &cred, scopes); err != nil {
			return err
		}
		for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, granted) {
			excess = append(excess, consentExcess(e, admin))
		}
		fix = func(n catalog.Need) (string, string) {
			return reconsentFix(n.Permission.Identifiers()), consoleURL + "/apis/credentials/consent"
		}
	default:
		return fmt.Errorf("unknown method %q", conn.Method)
	}
	now := p.env.Clock.Time()
	prober := func(tok *oauth2.Token) *providers.Prober {
		q := p.prober(r.Warn)
		if tok != nil {
			q.Authorize = func(req *http.Request) error { req.Header.Set("Authorization", "Bearer "+tok.AccessToken); return nil }
		}
		return q
	}
	v := providers.Verifier{
		Provider: "Google", Needs: needs, Probes: probeTable(a, tokens, prober), Sequential: p.env.Sequential,
		Observe: func(scope string, ans providers.Answer) providers.Observation {
			return observe(a, tokens[scope], ans, now)
		},
		Fix: fix,
	}
	v.Run(ctx, r)
	for _, c := range excess {
		r.Check(c)
	}
	return nil
}

// unneeded are the catalog's scopes that the enabled capabilities do not
// need: a service account's delegation of them is excess, and only a
// token request can tell.
func unneeded(cp catalog.Provider, enabled []string) []string {
	needed := cp.Scopes(enabled)
	return slices.DeleteFunc(cp.Scopes(allCapabilities(cp)), func(s string) bool { return slices.Contains(needed, s) })
}

// delegationExcess is a scope delegated to the client id that no enabled
// capability needs.
func delegationExcess(e providers.ExcessGrant, m minted, a account, needed []string) providers.Check {
	c := providers.Check{Capability: e.Capability, Permission: e.Identifier, Status: providers.Excess,
		Evidence: m.via + ": domain-wide delegation grants " + e.Identifier + ", which no enabled capability needs",
		Fix:      "least privilege: set client id " + a.key.ClientID + "'s domain-wide delegation to " + strings.Join(needed, ",") + " only (the link pre-fills it)",
		FixURL:   DelegationLink(a.key.ClientID, needed, a.admin)}
	if e.Permission != "" {
		c.Permission = e.Permission
		c.Fix += "; or enable the " + e.Capability + " capability"
	}
	return c
}

// delegatedTokens mints a token for each scope alone, concurrently, and
// reads the key's age meanwhile. A refusal that concerns the key, the
// service account or the admin is returned as the sign-in's error.
//
// The scopes in extra are asked for too, alone each and at the same time,
// to tell an excess delegation; their refusals are not errors.
func (p *Provider) delegatedTokens(ctx context.Context, a account, scopes, extra []string, r providers.Reporter) (tokens, extras map[string]minted, err error) {
	pr := p.prober(r.Warn)
	tokens, extras = map[string]minted{}, map[string]minted{}
	var keyAge age
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(f func()) {
		if p.env.Sequential {
			f()
			return
		}
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	run(func() { keyAge = p.keyAge(ctx, pr, a.key) })
	for _, set := range []struct {
		scopes []string
		into   map[string]minted
	}{{scopes, tokens}, {extra, extras}} {
		for _, s := range set.scopes {
			run(func() {
				m := p.mint(ctx, pr, a, s)
				mu.Lock()
				set.into[s] = m
				mu.Unlock()
			})
		}
	}
	wg.Wait()

	now := p.env.Clock.Time()
	for _, s := range scopes {
		if m := tokens[s]; m.err != nil && !isUndelegated(m.err) {
			var te *flows.TokenError
			if errors.As(m.err, &te) && te.Status < 500 && te.Status != http.StatusTooManyRequests {
				if keyAge.deleted {
					return nil, nil, keyAge.err
				}
				return nil, nil, signInError(a, m.err, now)
			}
		}
	}
	if w := keyAge.warning(a.key, now); w != "" {
		r.Warn(w)
	}
	if keyAge.err != nil && !keyAge.deleted {
		r.Warn("the key's age is unknown: " + keyAge.err.Error())
	}
	return tokens, extras, nil
}

// fixFor says how to delegate a need's scopes: the entry is replaced as a
// whole, so the fix lists every scope the client needs.
func fixFor(n catalog.Need, clientID string, all []string) string {
	return "in the Admin console (Security → API controls → Domain-wide delegation) authorise client id " + clientID + " for " +
		strings.Join(n.Permission.Identifiers(), ",") + "; the entry must list all of " + strings.Join(all, ",") + " (the link pre-fills them)"
}

// CriticalPath is the round trips a verification cannot avoid: the
// delegated tokens, all at once, then the longest chain of reads.
func (p *Provider) CriticalPath(providers.Connection) int {
	return 1 + providers.Depth(probeTable(account{}, nil, nil))
}
