package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// scopeAPI is the OAuth scope of REST API access; full includes it.
const scopeAPI = "api"

// cause is why api access is missing, for its fix.
type cause int

const (
	causeNone      cause = iota
	causeScope           // the session lacks the api scope
	causeUserAPI         // the user's profile or permission sets lack "API Enabled"
	causeOrgAPI          // the org's edition has no API access
	causeNotPermit       // the user is not pre-authorized for the app
)

// grant is what the token response says of the api scope.
type grant int

const (
	lacks grant = iota
	grants
	unsaid // the response lists no scopes
)

func grantOf(s session) grant {
	switch {
	case !s.scoped:
		return unsaid
	case slices.Contains(s.scopes, scopeAPI) || slices.Contains(s.scopes, "full"):
		return grants
	}
	return lacks
}

// notForREST is the message of the 401 a session without the api scope
// gets from the REST API (§3.5, verbb/formie#186).
const notForREST = "not valid for use with the REST API"

// observe decides api access from the token's grant and the answer of the
// api probe (the Limits resource, or the UserPermissionAccess query when
// Limits needs View Setup). It is pure; verify_internal_test.go's table
// is its specification.
//
//   - A token response whose scope lacks api (and full) is missing,
//     whatever the probe says.
//   - Otherwise the probe decides: 200 from Limits, or a
//     UserPermissionAccess record with PermissionsApiEnabled true, proves
//     it; 401 "not valid for use with the REST API" is a missing scope;
//     403 API_CURRENTLY_DISABLED is a user without "API Enabled" and 403
//     API_DISABLED_FOR_ORG an org without API access, both missing, not
//     as a scope; anything else (an expired session, a limit, a failure)
//     is no verdict.
func observe(g grant, a providers.Answer) (providers.Observation, cause) {
	o := providers.Observation{Identifier: scopeAPI}
	switch g {
	case grants:
		o.Evidence = "token response scope grants api; "
	case lacks:
		o.Evidence = "token response scope lacks api; "
	default:
		o.Evidence = "no scope list in the token response; "
	}
	o.Evidence += a.String()
	if g == lacks {
		o.Status = providers.Missing
		return o, causeScope
	}
	switch {
	case a.OK() && isLimits(a.Body):
		o.Status = providers.Granted
		return o, causeNone
	case a.OK():
		enabled, known := apiEnabled(a.Body)
		switch {
		case known && enabled:
			o.Status = providers.Granted
			o.Evidence += " (PermissionsApiEnabled true)"
			return o, causeNone
		case known:
			o.Status = providers.Missing
			o.Evidence += " (PermissionsApiEnabled false)"
			return o, causeUserAPI
		}
		o.Status = providers.Error
		o.Evidence += " (an answer that is neither the limits nor the user's permissions)"
		return o, causeNone
	case a.Err != nil || a.Skipped != "":
		o.Status = providers.Error
		return o, causeNone
	case a.Status == http.StatusUnauthorized && a.Code == "INVALID_SESSION_ID" && strings.Contains(a.Message, notForREST):
		o.Status = providers.Missing
		o.Evidence += ": " + a.Message
		return o, causeScope
	case a.Status == http.StatusForbidden && a.Code == "API_CURRENTLY_DISABLED":
		o.Status = providers.Missing
		o.Evidence += ": " + a.Message
		return o, causeUserAPI
	case a.Status == http.StatusForbidden && a.Code == "API_DISABLED_FOR_ORG":
		o.Status = providers.Missing
		o.Evidence += ": " + a.Message
		return o, causeOrgAPI
	}
	o.Status = providers.Error
	if a.Message != "" {
		o.Evidence += ": " + a.Message
	}
	switch a.Code {
	case "INVALID_SESSION_ID":
		o.Advice = "Salesforce ended the session while verifying; verify again, and if it persists run tether setup salesforce again"
	case "REQUEST_LIMIT_EXCEEDED":
		o.Advice = "the org has used its daily API requests (Setup → Company Information → API Requests, Last 24 Hours); verify again tomorrow or raise the limit"
	}
	return o, causeNone
}

// fixFor says how to repair api access, by its cause.
func fixFor(c cause, method string, settings map[string]string) string {
	user := settings[InputUsername]
	if user == "" {
		user = "the signed-in user"
	}
	switch c {
	case causeUserAPI:
		return "turn on API Enabled (System Permissions) for " + user + ": in a permission set assigned to the user (best: a dedicated integration user with API Only), or the user's profile; the scope is fine"
	case causeOrgAPI:
		return "this org's edition has no API access (Professional Edition needs the API add-on): ask your Salesforce account executive to enable the API for the org"
	case causeNotPermit:
		return "in the app's Policies, set Permitted Users to \"Admin approved users are pre-authorized\" and add a profile or permission set of " + user
	}
	fix := "add the OAuth scope \"Manage user data via APIs (api)\" to the app (App Manager → the app → Edit → OAuth Settings → Selected OAuth Scopes)"
	if method != MethodJWTBearer {
		fix += ", then sign in again: tether setup salesforce --method " + method
	}
	return fix
}

// probeTable is the verification's requests: the API versions (for the
// latest), then api access (the Limits resource, or the user's own
// permissions when Limits needs View Setup) and, alongside it into user,
// the integration user's profile and permission sets, which decide no
// permission but are named.
func probeTable(s session, pr *providers.Prober, user *providers.Answer) []providers.Probe {
	base := s.instance.url("")
	query := func(prefix, q string) string { return prefix + "/query?q=" + url.QueryEscape(q) }
	return []providers.Probe{
		{ID: "versions", Run: func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			return pr.Get(ctx, base+"/services/data/")
		}},
		{ID: "api", Decides: []string{scopeAPI}, After: []string{"versions"}, Run: func(ctx context.Context, after map[string]providers.Answer) providers.Answer {
			v, err := latestVersion(after["versions"].Body)
			if err != nil {
				return providers.Answer{Request: "GET /services/data/v…/limits", Err: fmt.Errorf("not run: %w", err)}
			}
			prefix := base + "/services/data/v" + v
			done := make(chan struct{})
			go func() {
				defer close(done)
				*user = pr.Get(ctx, query(prefix, userQuery(s.userID)))
			}()
			defer func() { <-done }()
			a := pr.Get(ctx, prefix+"/limits")
			if a.Status == http.StatusForbidden && strings.HasPrefix(a.Code, "INSUFFICIENT_ACCESS") {
				b := pr.Get(ctx, query(prefix, apiAccessQuery))
				b.Notes = append(b.Notes, "the limits need View Setup and Configuration ("+a.String()+"), so the user's own permissions were read")
				return b
			}
			return a
		}},
	}
}

// Verify requests a fresh session (a stored one would hide a scope or a
// policy changed since), compares its scopes with what the capabilities
// need, and confirms API access with the REST API itself.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	h, err := loginOf(conn.Settings)
	if err != nil {
		return err
	}
	needs := p.cat.Needs(conn.Capabilities)
	pr := &providers.Prober{Provider: "Salesforce", Env: p.env, DecodeError: decodeError, Warn: r.Warn}
	var s session
	err = pr.Retry(ctx, "the token request", func(ctx context.Context) (err error) {
		s, err = p.session(ctx, conn, cred)
		return err
	})
	if notPermitted(err) {
		var te *flows.TokenError
		errors.As(err, &te)
		for _, n := range needs {
			r.Check(providers.Check{Capability: n.Capability, Permission: n.Permission.Name, Status: providers.Missing,
				Evidence: fmt.Sprintf("POST /services/oauth2/token → %d %s: %s", te.Status, te.Code, te.Description),
				Fix:      fixFor(causeNotPermit, conn.Method, conn.Settings), FixURL: appsURL(conn)})
		}
		return nil
	}
	if err != nil {
		return signInError(h, conn.Settings, err)
	}
	g := grantOf(s)
	if g == unsaid {
		r.Warn("the token response lists no scopes: api access is decided by the REST API alone, and excess scopes cannot be seen")
	}
	pr.Authorize = func(req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+s.token.AccessToken)
		return nil
	}
	var mu sync.Mutex
	causes := map[string]cause{}
	var user providers.Answer
	v := providers.Verifier{
		Provider: "Salesforce", Needs: needs, Sequential: p.env.Sequential,
		Observe: func(id string, a providers.Answer) providers.Observation {
			if id != scopeAPI {
				return providers.Observation{Identifier: id, Status: providers.Error, Evidence: "Salesforce has no check for " + id}
			}
			o, c := observe(g, a)
			mu.Lock()
			causes[id] = c
			mu.Unlock()
			return o
		},
		Fix: func(n catalog.Need) (string, string) {
			mu.Lock()
			defer mu.Unlock()
			c := causeNone
			for _, id := range n.Permission.Identifiers() {
				if causes[id] != causeNone {
					c = causes[id]
				}
			}
			return fixFor(c, conn.Method, conn.Settings), appsURL(conn)
		},
	}
	v.Probes = probeTable(s, pr, &user)
	// The OpenID userinfo needs no api scope, so it proves nothing; it
	// says whether the user is a Salesforce Integration user, alongside.
	var info providers.Answer
	infoDone := make(chan struct{})
	getInfo := func() {
		defer close(infoDone)
		info = pr.Get(ctx, s.instance.url("/services/oauth2/userinfo"))
	}
	if p.env.Sequential {
		getInfo()
	} else {
		go getInfo()
	}
	v.Run(ctx, r)
	<-infoDone
	p.reportUser(conn, user, info, r)
	if g != unsaid {
		for _, e := range providers.ExcessGrants(p.cat, conn.Capabilities, s.scopes) {
			if slices.Contains(signInScopes, e.Identifier) {
				continue
			}
			r.Check(excessCheck(e, conn))
		}
	}
	return nil
}

// signInScopes are scopes a sign-in needs or brings that grant no data:
// refresh_token keeps a web sign-in alive, id and openid name the user.
var signInScopes = []string{"refresh_token", "offline_access", "id", "openid", "profile", "email", "address", "phone"}

// reportUser names the integration user's profile and permission sets,
// and flags a System Administrator used for collection.
func (p *Provider) reportUser(conn providers.Connection, a, info providers.Answer, r providers.Reporter) {
	if !a.OK() {
		// A session the REST API refuses is the api check's to explain.
		refused := a.Status == http.StatusUnauthorized || strings.HasPrefix(a.Code, "API_")
		if a.Err == nil && a.Status != 0 && !refused {
			r.Warn("the integration user's profile and permission sets could not be read (" + a.String() + ")")
		}
		return
	}
	u, err := parseUser(a.Body)
	if err != nil {
		r.Warn("the integration user's profile and permission sets could not be read: " + err.Error())
		return
	}
	line := "tether acts as " + u.String()
	if integration, ok := integrationUserFlag(info); ok && integration {
		line += ", a Salesforce Integration user"
	}
	r.Warn(line)
	if u.Profile == "System Administrator" {
		capa := ""
		if len(conn.Capabilities) > 0 {
			capa = conn.Capabilities[0]
		}
		r.Check(providers.Check{Capability: capa, Permission: "System Administrator profile", Status: providers.Excess,
			Evidence: "the integration user " + u.Username + " has the System Administrator profile, which can read and change everything in the org",
			Fix:      "use a dedicated integration user (Salesforce Integration user licence, profile Minimum Access - API Only Integrations) with a permission set granting API Enabled and read access to users (least privilege)",
			FixURL:   setupURL(providers.Inputs{Values: conn.Settings}, "ManageUsers/home")})
	}
}

func excessCheck(e providers.ExcessGrant, conn providers.Connection) providers.Check {
	c := providers.Check{Capability: e.Capability, Permission: e.Identifier, Status: providers.Excess,
		Evidence: "token response scope grants " + e.Identifier + ", which no enabled capability needs",
		Fix:      "remove the OAuth scope " + e.Identifier + " from the app's Selected OAuth Scopes (least privilege)",
		FixURL:   appsURL(conn)}
	if e.Identifier == "full" {
		c.Evidence += "; full gives the session every permission of the user"
	}
	if e.Permission != "" {
		c.Permission = e.Permission
		c.Fix += fmt.Sprintf(", or enable the %s capability", e.Capability)
	}
	return c
}

// appsURL is the External Client App Manager of the connection's org.
func appsURL(conn providers.Connection) string {
	in := providers.Inputs{Values: map[string]string{InputLoginHost: conn.Settings[InputLoginHost]}}
	if iu, err := InstanceURL(conn.Settings[settingInstanceURL], conn.Settings[InputLoginHost]); err == nil && !iu.IsLoopback() {
		in.Values[InputLoginHost] = iu.Name
	}
	return setupURL(in, "ManageExternalClientApplication/home")
}

// notPermitted reports whether the token endpoint refused the user as
// not pre-authorized for the app (§3.3 invalid_app_access, §3.6 "user
// hasn't approved this consumer").
func notPermitted(err error) bool {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return false
	}
	d := strings.ToLower(te.Description)
	return te.Code == "invalid_app_access" || strings.Contains(d, "hasn't approved this consumer") || strings.Contains(d, "not admin approved")
}

// session requests a fresh session for a connection.
func (p *Provider) session(ctx context.Context, conn providers.Connection, cred providers.Credential) (session, error) {
	return p.mint(ctx, conn.Method, conn.Settings, cred.Secret, cred.Save)
}

// CriticalPath is the round trips a verification cannot avoid: the
// token, then the versions and the api probe that needs them.
func (p *Provider) CriticalPath(providers.Connection) int {
	return 1 + providers.Depth(probeTable(session{}, nil, nil))
}
