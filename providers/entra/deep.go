package entra

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tetherdev/tether/providers"
)

// A deep verification (providers.DeepOf) makes, for each granted read
// permission, one side-effect-free Microsoft Graph GET (§1.8.3). The
// roles claim still decides the grant; the reads find what a grant cannot
// show: a licence the tenant lacks (sign-in logs need Entra ID P1 or P2,
// risky users P2, devices Intune), and a tenant that refuses the app
// although it holds the role (consent not yet effective, Conditional
// Access for workload identities).

// Licences a deep read may find missing.
const (
	licenseP1     = "Microsoft Entra ID P1 or P2"
	licenseP2     = "Microsoft Entra ID P2"
	licenseIntune = "Microsoft Intune"

	licenseEntraURL  = "https://learn.microsoft.com/entra/fundamentals/licensing"
	licenseIntuneURL = "https://learn.microsoft.com/intune/intune-service/fundamentals/licenses"
)

// deepRead is the read of one permission: its Graph path, the licence
// it needs beyond the permission, and the probe it needs an id from.
type deepRead struct {
	perm    string
	path    string // with {id} for the id read from after's answer
	license string
	after   string
}

// Probe ids of the lists other reads take an id from.
const (
	probeUsers  = "users"
	probeGroups = "groups"
)

var deepReads = []deepRead{
	{perm: "User.Read.All", path: "/users?$top=1&$select=id,userPrincipalName"},
	{perm: "Group.Read.All", path: "/groups?$top=1&$select=id"},
	{perm: "GroupMember.Read.All", path: "/groups/{id}/members?$top=1&$select=id", after: probeGroups},
	{perm: "Directory.Read.All", path: "/directoryRoles"},
	{perm: "AuditLog.Read.All", path: "/auditLogs/signIns?$top=1", license: licenseP1},
	{perm: "Reports.Read.All", path: "/reports/getOffice365ActiveUserCounts(period='D7')"},
	{perm: "Policy.Read.All", path: "/identity/conditionalAccess/namedLocations?$top=1"},
	{perm: "IdentityRiskyUser.Read.All", path: "/identityProtection/riskyUsers?$top=1", license: licenseP2},
	{perm: "IdentityRiskEvent.Read.All", path: "/identityProtection/riskDetections?$top=1", license: licenseP1},
	{perm: "UserAuthenticationMethod.Read.All", path: "/users/{id}/authentication/methods", after: probeUsers},
	{perm: "DeviceManagementManagedDevices.Read.All", path: "/deviceManagement/managedDevices?$top=1&$select=id", license: licenseIntune},
	{perm: "DeviceManagementConfiguration.Read.All", path: "/deviceManagement/deviceConfigurations?$top=1", license: licenseIntune},
	{perm: "DeviceManagementApps.Read.All", path: "/deviceAppManagement/mobileApps?$top=1", license: licenseIntune},
}

// idLists are the lists a read takes an id from, and the roles any of
// which lets the app read them (§1.8.3): without one the list is not
// read and the read that waits for it is skipped, not failed.
var idLists = map[string]struct {
	path  string
	roles []string
}{
	probeUsers:  {"/users?$top=1&$select=id", []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}},
	probeGroups: {"/groups?$top=1&$select=id", []string{"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}},
}

// deepProbes is the probe table of a deep verification with a token
// holding roles: one read per permission, run only when roles lists it
// (a missing one is decided by the claim alone), and the id lists the
// reads with {id} wait for.
func deepProbes(pr *providers.Prober, cloud Cloud, roles []string) []providers.Probe {
	var table []providers.Probe
	for id, l := range idLists {
		table = append(table, providers.Probe{ID: id, Run: func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
			if !slices.ContainsFunc(l.roles, func(r string) bool { return slices.Contains(roles, r) }) {
				return providers.Answer{Skipped: "no role in the token lets the app list " + id + " to take an id from"}
			}
			return pr.Get(ctx, cloud.GraphURL(l.path))
		}})
	}
	slices.SortFunc(table, func(a, b providers.Probe) int { return strings.Compare(a.ID, b.ID) })
	for _, d := range deepReads {
		p := providers.Probe{ID: d.perm, Decides: []string{d.perm}}
		if d.after != "" {
			p.After = []string{d.after}
		}
		p.Run = func(ctx context.Context, after map[string]providers.Answer) providers.Answer {
			if !slices.Contains(roles, d.perm) {
				return providers.Answer{Skipped: d.perm + " is not in the token's roles"}
			}
			path := d.path
			if d.after != "" {
				id, ok := firstID(after[d.after].Body)
				if !ok {
					return providers.Answer{Skipped: "the tenant has no " + strings.TrimSuffix(d.after, "s") + " to read with " + d.perm}
				}
				path = strings.ReplaceAll(path, "{id}", url.PathEscape(id))
			}
			if d.perm == "Reports.Read.All" {
				// Graph answers a report with a 302 to a pre-authenticated
				// download; the redirect is the answer, the CSV not needed.
				return noRedirects(pr).Get(ctx, cloud.GraphURL(path))
			}
			return pr.Get(ctx, cloud.GraphURL(path))
		}
		table = append(table, p)
	}
	return table
}

// noRedirects is pr on a client that does not follow redirects.
func noRedirects(pr *providers.Prober) *providers.Prober {
	q := *pr
	c := http.Client{}
	if pr.Env.HTTP != nil {
		c = *pr.Env.HTTP
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q.Env.HTTP = &c
	return &q
}

// firstID reads the id of the first object of a Graph list.
func firstID(body []byte) (string, bool) {
	var page struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if json.Unmarshal(body, &page) != nil || len(page.Value) == 0 || !validID(page.Value[0].ID) {
		return "", false
	}
	return page.Value[0].ID, true
}

// validID accepts a directory object id: a GUID-like token of hex digits
// and dashes.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

// readOutcome is what one deep read showed.
type readOutcome int

const (
	readOK      readOutcome = iota // the permission works
	readLicense                    // the tenant lacks a licence for it
	readDenied                     // Graph refused it although the role is held
	readFailed                     // no usable answer: no verdict
)

// classify maps a deep read's answer (§1.8.2). A licence refusal is
// told by its code (Authentication_RequestFromNonPremiumTenantOrB2CTenant),
// Intune's "Request not applicable to target tenant.", or a 403 on a
// read that needs a licence whose message speaks of a licence or premium
// tenant (the P2 body is UNVERIFIED). license is the licence needed;
// reason is Graph's message, decoded where Intune nests it as JSON.
func classify(a providers.Answer, need string) (out readOutcome, license, reason string) {
	reason = graphMessage(a.Message)
	switch {
	case a.Err != nil || a.Status == 0:
		return readFailed, "", ""
	case a.OK(), a.Status == http.StatusFound && a.Header.Get("Location") != "":
		return readOK, "", ""
	case a.Code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
		return readLicense, cmpOr(need, licenseP1), reason
	case a.Status == http.StatusBadRequest && strings.Contains(reason, "not applicable to target tenant"):
		return readLicense, cmpOr(need, licenseIntune), reason
	case a.Status == http.StatusForbidden && need != "" && speaksOfLicense(reason):
		return readLicense, need, reason
	case a.Status == http.StatusForbidden:
		return readDenied, "", reason
	}
	return readFailed, "", reason
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func speaksOfLicense(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "licens") || strings.Contains(s, "licenc") || strings.Contains(s, "premium") || strings.Contains(s, "subscription")
}

// graphMessage is Graph's message in plain words: Intune puts a JSON
// document in it, whose Message (itself perhaps nested once more) holds
// the sentence, followed by " - Operation ID …" (§1.8.2 variant 4).
func graphMessage(m string) string {
	for range 3 {
		var inner struct {
			Message string `json:"Message"`
		}
		t := strings.TrimSpace(m)
		if !strings.HasPrefix(t, "{") || json.Unmarshal([]byte(t), &inner) != nil || inner.Message == "" {
			break
		}
		m = inner.Message
	}
	if i := strings.Index(m, " - Operation ID"); i >= 0 {
		m = m[:i]
	}
	m = strings.TrimSpace(m)
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return m
}

// licenseURL is where a licence is explained.
func licenseURL(license string) string {
	if license == licenseIntune {
		return licenseIntuneURL
	}
	return licenseEntraURL
}

// deepObserve decides perm from the roles claim, as observe does, and
// adds what its deep read showed: the claim decides the grant, a licence
// problem is named beside it, and a refusal or a read without a usable
// answer leaves no verdict. It is pure.
func deepObserve(perm string, roles []string, app *appRegistration, a providers.Answer) providers.Observation {
	o := observe(perm, roles, app)
	if o.Status != providers.Granted {
		return o
	}
	i := slices.IndexFunc(deepReads, func(d deepRead) bool { return d.perm == perm })
	if i < 0 {
		o.Evidence += "; no side-effect-free read exists for it, so the claim alone decides"
		return o
	}
	if a.Skipped != "" {
		o.Evidence += "; the deep read did not run: " + a.Skipped
		return o
	}
	out, license, reason := classify(a, deepReads[i].license)
	switch out {
	case readOK:
		o.Evidence += "; " + a.String() + ": the read works"
	case readLicense:
		o.License, o.LicenseURL = license, licenseURL(license)
		o.Evidence += "; " + a.String() + ": granted but unusable, the tenant has no " + license + " licence"
		if reason != "" {
			o.Evidence += " (Graph: " + reason + ")"
		}
	case readDenied:
		o.Status = providers.Error
		o.Evidence += "; but " + a.String() + " refused the read"
		if reason != "" {
			o.Evidence += ": " + reason
		}
		o.Advice = "Graph refuses " + perm + " although the token holds it: a consent given minutes ago may not have reached Graph yet (verify again in a few minutes), or a Conditional Access policy for workload identities, or a tenant restriction, blocks the app; check Entra admin center → Sign-in logs → Service principal sign-ins"
	default:
		o.Status = providers.Error
		o.Evidence += "; the deep read got no usable answer: " + a.String()
		if reason != "" && a.Code == "" {
			o.Evidence += " " + reason
		}
	}
	return o
}

// licenseWarnings are the warnings of the licence problems the deep reads
// found, one per licence, naming the permissions it holds back.
func licenseWarnings(answers map[string]providers.Answer) []string {
	held := map[string][]string{}
	var order []string
	for _, d := range deepReads {
		a, ok := answers[d.perm]
		if !ok {
			continue
		}
		if out, license, _ := classify(a, d.license); out == readLicense {
			if held[license] == nil {
				order = append(order, license)
			}
			held[license] = append(held[license], d.perm)
		}
	}
	var out []string
	for _, l := range order {
		verb := " is granted but Graph will not serve it; "
		if len(held[l]) > 1 {
			verb = " are granted but Graph will not serve them; "
		}
		out = append(out, "licence problem, not a missing permission: the tenant has no "+l+" licence, so "+strings.Join(held[l], ", ")+verb+licenseURL(l))
	}
	return out
}
