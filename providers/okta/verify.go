package okta

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

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// readPermission is the catalog's READ on /api/v1/*, verified area by area.
const readPermission = "/api/v1/*"

// area is one read endpoint the platform uses (§1.5): the part of READ on
// /api/v1/* it proves, and the scope an OAuth token needs for it.
type area struct {
	part, id, path, scope string
	// needsUser marks a path with a {user} to fill in.
	needsUser bool
}

var areas = []area{
	{part: "users", id: "users", path: "/api/v1/users?limit=1", scope: "okta.users.read"},
	{part: "groups", id: "groups", path: "/api/v1/groups?limit=1", scope: "okta.groups.read"},
	{part: "apps", id: "apps", path: "/api/v1/apps?limit=1", scope: "okta.apps.read"},
	{part: "system log", id: "logs", path: "/api/v1/logs?limit=1", scope: "okta.logs.read"},
	{part: "user factors", id: "factors", path: "/api/v1/users/{user}/factors", scope: "okta.users.read", needsUser: true},
	{part: "policies", id: "policies", path: "/api/v1/policies?type=OKTA_SIGN_ON", scope: "okta.policies.read"},
	{part: "network zones", id: "zones", path: "/api/v1/zones?limit=1", scope: "okta.networkZones.read"},
	{part: "authenticators", id: "authenticators", path: "/api/v1/authenticators", scope: "okta.authenticators.read"},
}

// Scopes an OAuth token needs besides the read areas' for remediation:
// the lifecycle calls, and reading the app's own roles.
const (
	scopeManage    = "okta.users.manage"
	scopeRolesRead = "okta.roles.read"
)

func areaByPart(part string) (area, bool) {
	i := slices.IndexFunc(areas, func(a area) bool { return a.part == part })
	if i < 0 {
		return area{}, false
	}
	return areas[i], true
}

// partID is the identifier of one area in the verifier's table.
func partID(a area) string { return "part:" + a.id }

// partSep joins READ on /api/v1/*'s name to a part in the needs given to
// the verifier; partReporter splits them again into Check.Part.
const partSep = "\x00"

// needs expands READ on /api/v1/* into one need per part, so that each
// area is reported (and decided) on its own.
func needs(cp catalog.Provider, enabled []string) []catalog.Need {
	var out []catalog.Need
	for _, n := range cp.Needs(enabled) {
		if n.Permission.Name != readPermission || len(n.Permission.Parts) == 0 {
			out = append(out, n)
			continue
		}
		for _, part := range n.Permission.Parts {
			perm := n.Permission
			perm.Name += partSep + part
			perm.Scopes = []string{"part:" + part}
			if a, ok := areaByPart(part); ok {
				perm.Scopes = []string{partID(a)}
			}
			out = append(out, catalog.Need{Capability: n.Capability, Permission: perm})
		}
	}
	return out
}

func splitPart(name string) (perm, part string) {
	perm, part, _ = strings.Cut(name, partSep)
	return perm, part
}

// partReporter turns the per-part needs' checks back into READ on
// /api/v1/* with their Part.
type partReporter struct{ providers.Reporter }

func (r partReporter) Check(c providers.Check) {
	c.Permission, c.Part = splitPart(c.Permission)
	r.Reporter.Check(c)
}

// grant is what an OAuth token's scope says of one scope.
type grant int

const (
	noToken grant = iota // an SSWS token: the owner's roles decide alone
	grants
	lacks
)

// observeRead decides one area from its probe's answer. It is pure; the
// table in verify_internal_test.go is its specification.
//
//   - An OAuth token that lacks the area's scope is missing it, whatever
//     the probe says.
//   - 200 proves the area (a token's scope alone never does: Okta grants
//     scopes that the app's admin roles cannot use).
//   - 403 E0000006, or 403 with insufficient_scope, disproves it.
//   - Authenticators are an Identity Engine API: 404 or E0000015 on a
//     Classic org says the area does not exist there, which is unknown.
//   - A probe that could not run because the org has no user to read the
//     factors of proves nothing either way: unknown.
//   - Anything else (401, 429, 5xx, a network failure) is no verdict.
func observeRead(a area, g grant, ans providers.Answer) providers.Observation {
	o := providers.Observation{Identifier: partID(a), Evidence: ans.String()}
	if g == grants {
		o.Evidence = "the token grants " + a.scope + "; " + o.Evidence
	}
	switch {
	case g == lacks:
		o.Status, o.Evidence = providers.Missing, "the token's scope lacks "+a.scope
	case ans.Skipped != "":
		o.Status = providers.Unknown
	case ans.OK():
		o.Status = providers.Granted
	case ans.Err == nil && insufficientScope(ans):
		o.Status = providers.Missing
		o.Evidence += " insufficient_scope"
	case ans.Err == nil && ans.Status == http.StatusForbidden && ans.Code == "E0000006":
		o.Status = providers.Missing
	case ans.Err == nil && a.id == "authenticators" && (ans.Status == http.StatusNotFound || ans.Code == "E0000015"):
		o.Status = providers.Unknown
		o.Evidence += " (the Authenticators API exists on Identity Engine orgs only; a Classic Engine org has none to read)"
	default:
		o.Status = providers.Error
	}
	return o
}

// session is one verification: the org, the prober with the
// credential's authorization, and what the sign-in said.
type session struct {
	p      *Provider
	org    Org
	conn   providers.Connection
	pr     *providers.Prober
	owner  owner    // api-token
	scopes []string // service-app: the token's scope
	warn   func(string)

	mu       sync.Mutex
	findings roleFindings
}

func (s *session) serviceApp() bool { return isServiceApp(s.conn.Method) }

func (s *session) grantOf(scope string) grant {
	switch {
	case !s.serviceApp():
		return noToken
	case slices.Contains(s.scopes, scope):
		return grants
	}
	return lacks
}

// table is the verification's probes: every read area, and for
// remediation the principal's role assignments, then their custom roles.
func (s *session) table() []providers.Probe {
	var table []providers.Probe
	for _, a := range areas {
		run := func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			return s.pr.Get(ctx, s.org.URL(a.path))
		}
		if a.needsUser && s.serviceApp() {
			// A service app has no user of its own: the probe finds one
			// in the first users page first. A refused page is the
			// answer, since factors need the same read access.
			run = func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
				users := s.pr.Get(ctx, s.org.URL("/api/v1/users?limit=1"))
				if !users.OK() {
					users.Notes = append(users.Notes, "read to find a user whose factors to read")
					return users
				}
				id, err := firstUser(users.Body)
				switch {
				case err != nil:
					return providers.Answer{Request: "GET " + a.path, Err: err}
				case id == "":
					return providers.Answer{Skipped: "the org has no user, so GET " + strings.Replace(a.path, "{user}", "…", 1) + " could not run"}
				}
				return s.pr.Get(ctx, s.org.URL(strings.Replace(a.path, "{user}", url.PathEscape(id), 1)))
			}
		} else if a.needsUser {
			run = func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
				return s.pr.Get(ctx, s.org.URL(strings.Replace(a.path, "{user}", url.PathEscape(s.owner.ID), 1)))
			}
		}
		table = append(table, providers.Probe{ID: a.id, Decides: []string{partID(a)}, Run: run})
	}
	rolesPath := "/api/v1/users/" + url.PathEscape(s.owner.ID) + "/roles"
	if s.serviceApp() {
		rolesPath = "/oauth2/v1/clients/" + url.PathEscape(s.conn.Settings[InputClientID]) + "/roles"
	}
	// One probe reads the assignments and then their custom roles, so
	// that a refused read of the assignments reaches observe as it is.
	return append(table, providers.Probe{ID: "roles", Decides: remediationPermissions(s.p.cat),
		Run: func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			a := s.pr.Get(ctx, s.org.URL(rolesPath))
			if !a.OK() {
				return a
			}
			return s.readCustomRoles(ctx, a)
		}})
}

// firstUser is the id of the first user of a users page; "" when the
// page is empty.
func firstUser(body []byte) (string, error) {
	var page []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return "", errors.New("not run: the users answer is not a JSON array of users")
	}
	if len(page) == 0 {
		return "", nil
	}
	if !userIDPattern.MatchString(page[0].ID) {
		return "", errors.New("not run: the first user has no valid id")
	}
	return page[0].ID, nil
}

// readCustomRoles reads the role assignments' custom roles, concurrently:
// each one's permissions and the resources of the set it is bound to. It
// keeps what it found for observe, and answers with the assignments'
// answer, or the first failure.
func (s *session) readCustomRoles(ctx context.Context, rolesAns providers.Answer) providers.Answer {
	roles, err := parseRoles(rolesAns.Body)
	if err != nil {
		return providers.Answer{Request: rolesAns.Request, Err: err}
	}
	s.warnSuperAdmin(roles)
	f := roleFindings{principal: s.principal(), roles: roles}
	var wg sync.WaitGroup
	for _, r := range roles {
		if r.Type != "CUSTOM" {
			continue
		}
		f.custom = append(f.custom, customRole{assignment: r})
	}
	for i := range f.custom {
		c := &f.custom[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.permissions, c.allUsers, c.scope, c.err = s.customRole(ctx, c.assignment)
		}()
	}
	wg.Wait()
	s.mu.Lock()
	s.findings = f
	s.mu.Unlock()
	return rolesAns
}

func (s *session) customRole(ctx context.Context, r roleAssignment) (perms []string, all bool, scope string, err error) {
	var pa, ra providers.Answer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		pa = s.pr.Get(ctx, s.org.URL("/api/v1/iam/roles/"+url.PathEscape(r.Role)+"/permissions"))
	}()
	go func() {
		defer wg.Done()
		ra = s.pr.Get(ctx, s.org.URL("/api/v1/iam/resource-sets/"+url.PathEscape(r.ResourceSet)+"/resources"))
	}()
	wg.Wait()
	if !pa.OK() {
		return nil, false, "", errors.New(pa.String())
	}
	if !ra.OK() {
		return nil, false, "", errors.New(ra.String())
	}
	if perms, err = parsePermissions(pa.Body); err != nil {
		return nil, false, "", err
	}
	all, scope, err = resourcesCoverAllUsers(ra.Body)
	return perms, all, scope, err
}

func (s *session) principal() string {
	if s.serviceApp() {
		return "service app " + s.conn.Settings[InputClientID]
	}
	return "the token's owner " + cmpOr(s.owner.Profile.Login, s.owner.ID)
}

// warnSuperAdmin says when the credential carries a Super
// Administrator's privileges: far more than the platform needs. An SSWS
// token has its creator's; a service app has the role when "Public
// client app admins" assigned it.
func (s *session) warnSuperAdmin(roles []roleAssignment) {
	if s.warn == nil || !slices.ContainsFunc(roles, func(r roleAssignment) bool { return r.Type == "SUPER_ADMIN" }) {
		return
	}
	if s.serviceApp() {
		s.warn(s.principal() + " holds the Super Administrator role: it can do anything in the org. Give it Read-Only Administrator and the custom remediation roles instead")
		return
	}
	s.warn("the API token acts as " + cmpOr(s.owner.Profile.Login, s.owner.ID) + ", a Super Administrator: it can do anything in the org. Create it as a dedicated admin with only the Read-Only Administrator role and the custom remediation role")
}

// observe judges one identifier: a read area from its probe, a
// remediation permission from the role findings.
func (s *session) observe(id string, a providers.Answer) providers.Observation {
	for _, ar := range areas {
		if partID(ar) == id {
			return observeRead(ar, s.grantOf(ar.scope), a)
		}
	}
	o := providers.Observation{Identifier: id, Evidence: a.String()}
	if s.serviceApp() && s.grantOf(scopeManage) == lacks {
		o.Status, o.Evidence = providers.Missing, "the token's scope lacks "+scopeManage+", which the lifecycle calls need"
		return o
	}
	switch {
	case a.OK():
		s.mu.Lock()
		f := s.findings
		s.mu.Unlock()
		return f.decide(id)
	case a.Err == nil && insufficientScope(a):
		// The app's roles could not be read: its permissions are not
		// seen, which proves none of them missing.
		o.Status = providers.Unknown
		o.Evidence += " insufficient_scope: the token lacks " + scopeRolesRead + ", so the app's roles, and the permissions they give, cannot be read"
	case a.Err == nil && a.Status == http.StatusForbidden && a.Code == "E0000006":
		o.Status = providers.Unknown
		o.Evidence += ": " + s.principal() + " may not read its own role assignments, so its permissions cannot be seen without acting on a user"
	default:
		o.Status = providers.Error
	}
	return o
}

// fix says how to repair a need found missing or unknown.
func (s *session) fix(n catalog.Need) (string, string) {
	perm, part := splitPart(n.Permission.Name)
	who := s.principal()
	if part != "" {
		a, _ := areaByPart(part)
		if s.serviceApp() {
			if s.grantOf(a.scope) == lacks {
				return "grant " + a.scope + " on the app's Okta API Scopes tab", s.appURL()
			}
			return "assign " + who + " the Read-Only Administrator role (Admin roles tab → Edit assignments); its scopes alone do not let it read " + part, s.appURL()
		}
		fix := "assign " + who + " the Read-Only Administrator role (Security → Administrators → Add administrator); the token carries that admin's privileges"
		if a.id == "logs" {
			fix += ". A custom admin role cannot read the System Log: pair it with Read-Only Administrator"
		}
		return fix, s.org.Admin("/admin/access/admins")
	}
	if s.serviceApp() && s.grantOf(scopeManage) == lacks {
		return "grant " + scopeManage + " on the app's Okta API Scopes tab", s.appURL()
	}
	if s.serviceApp() && s.grantOf(scopeRolesRead) == lacks {
		return "grant " + scopeRolesRead + " on the app's Okta API Scopes tab, so that tether can read the app's roles, then verify again", s.appURL()
	}
	return fmt.Sprintf("add %s to the custom admin role assigned to %s (Security → Administrators → Roles), bound to a resource set of All users", perm, who),
		s.org.Admin(rolesPage)
}

func (s *session) appURL() string {
	return s.org.Admin(appPage(s.conn.Settings[InputClientID]))
}

// Verify signs in (an SSWS token reads its owner; a service app mints a
// token), then probes every read area and the principal's roles
// concurrently.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	o, err := ParseOrg(conn.Settings[InputOrg])
	if err != nil {
		return err
	}
	s := &session{p: p, org: o, conn: conn, warn: r.Warn}
	switch conn.Method {
	case MethodAPIToken:
		token := strings.TrimSpace(cred.Secret.Get(InputToken))
		if token == "" {
			return errors.New("the stored credential has no API token; run tether setup okta again")
		}
		s.pr = p.prober(r.Warn, sswsAuth(token))
		var me providers.Answer
		if s.owner, me, err = p.whoAmI(ctx, o, s.pr); err != nil {
			return err
		}
		warnSkew(me, p.env.Clock.Time(), r.Warn)
		if s.owner.Status != "" && s.owner.Status != "ACTIVE" {
			r.Warn("the token's owner " + s.owner.Profile.Login + " is " + s.owner.Status + ": Okta deprovisions a deactivated admin's tokens")
		}
	case MethodServiceApp, MethodCreate:
		if err := s.signInServiceApp(ctx, cred); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown method %q", conn.Method)
	}
	ns := needs(p.cat, conn.Capabilities)
	remediating := remediates(ns)
	var side sync.WaitGroup
	if !remediating && !s.serviceApp() {
		// Collection alone reads no roles, but a Super Administrator's
		// token is worth a warning: read them alongside.
		side.Add(1)
		go func() {
			defer side.Done()
			a := s.pr.Get(ctx, o.URL("/api/v1/users/"+url.PathEscape(s.owner.ID)+"/roles"))
			if roles, err := parseRoles(a.Body); a.OK() && err == nil {
				s.warnSuperAdmin(roles)
			}
		}()
	}
	v := providers.Verifier{Provider: "Okta", Needs: ns, Probes: s.table(), Sequential: p.env.Sequential,
		Observe: s.observe, Fix: s.fix}
	answers := v.Run(ctx, partReporter{r})
	side.Wait()
	if s.serviceApp() {
		for _, id := range []string{"users", "groups", "apps"} {
			if a, ok := answers[id]; ok && a.Header != nil {
				warnSkew(a, p.env.Clock.Time(), r.Warn)
				break
			}
		}
	}
	return nil
}

// remediates reports whether needs hold a remediation permission (any
// need that is not a part of READ on /api/v1/*).
func remediates(ns []catalog.Need) bool {
	return slices.ContainsFunc(ns, func(n catalog.Need) bool { return !strings.Contains(n.Permission.Name, partSep) })
}

// warnSkew reports a clock that is far from Okta's (its Date header):
// assertions and rate-limit resets are judged against it.
func warnSkew(a providers.Answer, now time.Time, warn func(string)) {
	if a.Header == nil || warn == nil {
		return
	}
	d, err := http.ParseTime(a.Header.Get("Date"))
	if err != nil {
		return
	}
	if skew := now.Sub(d); skew > 5*time.Minute || skew < -5*time.Minute {
		warn(fmt.Sprintf("this machine's clock is %s off Okta's; set it right (NTP): client assertions and rate-limit waits depend on it", skew.Round(time.Second).Abs()))
	}
}

// CriticalPath is the round trips a verification cannot avoid: the
// sign-in, then the longest chain of probes. Two probes make two in a
// row: with remediation, the roles probe reads the custom roles after
// the assignments; for a service app, the factors probe finds a user
// first.
func (p *Provider) CriticalPath(conn providers.Connection) int {
	s := &session{p: p, conn: conn}
	n := 1 + providers.Depth(s.table())
	if remediates(needs(p.cat, conn.Capabilities)) || s.serviceApp() {
		n = max(n, 3)
	}
	return n
}
