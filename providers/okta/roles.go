package okta

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// Okta ids: users 00u…, apps 0oa…, custom roles cr0…, resource sets iam…
var (
	userIDPattern = regexp.MustCompile(`^00u[A-Za-z0-9]{10,30}$`)
	objectID      = regexp.MustCompile(`^[A-Za-z0-9]{6,40}$`)
)

// roleAssignment is one entry of GET /api/v1/users/{id}/roles or
// /oauth2/v1/clients/{id}/roles (§1.4): a standard role, or a custom one
// (type CUSTOM) whose role is the custom role's id and resource-set the
// resource set it is bound to.
type roleAssignment struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Role        string `json:"role"`
	ResourceSet string `json:"resource-set"`
}

func (r roleAssignment) name() string {
	if r.Label != "" {
		return fmt.Sprintf("%q (%s)", r.Label, r.Type)
	}
	return r.Type
}

// parseRoles reads a role assignment list, refusing what is not one.
func parseRoles(body []byte) ([]roleAssignment, error) {
	var roles []roleAssignment
	if err := json.Unmarshal(body, &roles); err != nil {
		return nil, errors.New("the role assignments are not a JSON array of roles")
	}
	for _, r := range roles {
		if r.Type == "" {
			return nil, errors.New("a role assignment has no type")
		}
		if r.Type == "CUSTOM" && (!objectID.MatchString(r.Role) || !objectID.MatchString(r.ResourceSet)) {
			return nil, fmt.Errorf("the custom role assignment %s names no valid role and resource set", r.name())
		}
	}
	return roles, nil
}

// allPowerful are the standard roles that hold every user lifecycle
// permission over every user (§1.7 step 3).
var allPowerful = []string{"SUPER_ADMIN", "ORG_ADMIN"}

// impliedBy lists, for each remediation permission, the broader custom
// role permissions that include it (role-assignment/index.md, §1.4).
var impliedBy = map[string][]string{
	"okta.users.lifecycle.clearSessions":  {"okta.users.lifecycle.manage", "okta.users.manage"},
	"okta.users.credentials.resetFactors": {"okta.users.credentials.manage", "okta.users.manage"},
	"okta.users.lifecycle.suspend":        {"okta.users.lifecycle.manage", "okta.users.manage"},
	"okta.users.lifecycle.unsuspend":      {"okta.users.lifecycle.manage", "okta.users.manage"},
}

// customRole is what tether read of one custom role assignment: its
// permissions and whether its resource set covers all users. err is set
// when either could not be read.
type customRole struct {
	assignment  roleAssignment
	permissions []string
	allUsers    bool
	scope       string // what the resource set covers, for the evidence
	err         error
}

// roleFindings are a principal's role assignments and what was read of
// their custom roles.
type roleFindings struct {
	principal string // "the token's owner ada@example.com", "app 0oa…"
	roles     []roleAssignment
	custom    []customRole
}

// decide judges one remediation permission from the role findings. It is
// pure; the table in roles_test.go is its specification.
//
//   - An active SUPER_ADMIN or ORG_ADMIN assignment grants it.
//   - An active custom role grants it when it holds the permission (or one
//     that includes it) and its resource set covers all users; one bound
//     to some groups only is not enough, since the platform acts on any
//     user.
//   - A standard role such as HELP_DESK_ADMIN cannot be mapped without
//     Okta's comparison table (which a group scope may narrow): unknown.
//   - A custom role whose permissions or resource set could not be read
//     leaves no verdict, unless another assignment decides.
func (f roleFindings) decide(permission string) providers.Observation {
	o := providers.Observation{Identifier: permission}
	var names []string
	for _, r := range f.roles {
		if r.Status == "" || r.Status == "ACTIVE" {
			names = append(names, r.name())
		}
	}
	held := f.principal + " holds " + strings.Join(names, ", ")
	if len(names) == 0 {
		held = f.principal + " holds no active admin role"
	}
	for _, r := range f.roles {
		if (r.Status == "" || r.Status == "ACTIVE") && slices.Contains(allPowerful, r.Type) {
			o.Status, o.Evidence = providers.Granted, held+"; "+r.Type+" includes "+permission+" for every user"
			return o
		}
	}
	var partial, failed, standard []string
	for _, c := range f.custom {
		if c.assignment.Status != "" && c.assignment.Status != "ACTIVE" {
			continue
		}
		if c.err != nil {
			failed = append(failed, c.assignment.name()+": "+c.err.Error())
			continue
		}
		has := slices.Contains(c.permissions, permission) || slices.ContainsFunc(impliedBy[permission], func(p string) bool { return slices.Contains(c.permissions, p) })
		switch {
		case has && c.allUsers:
			o.Status, o.Evidence = providers.Granted, held+"; "+c.assignment.name()+" has "+permission+" over all users"
			return o
		case has:
			partial = append(partial, c.assignment.name()+" has "+permission+" over "+c.scope+" only")
		}
	}
	for _, r := range f.roles {
		if (r.Status == "" || r.Status == "ACTIVE") && r.Type != "CUSTOM" && r.Type != "READ_ONLY_ADMIN" && r.Type != "REPORT_ADMIN" {
			standard = append(standard, r.Type)
		}
	}
	switch {
	case len(failed) > 0:
		o.Status, o.Evidence = providers.Error, held+"; could not read "+strings.Join(failed, "; ")
		o.Advice = "verify again; the token's owner needs okta.iam.read (or a standard admin role) to read its own roles"
	case len(partial) > 0:
		o.Status, o.Evidence = providers.Missing, held+"; "+strings.Join(partial, "; ")+", and the platform acts on any user"
	case len(standard) > 0:
		o.Status, o.Evidence = providers.Unknown, held+"; whether "+strings.Join(standard, ", ")+" includes "+permission+
			" (and over which users) is not something Okta's API states, so it cannot be proven without acting on a user"
	default:
		o.Status, o.Evidence = providers.Missing, held+"; none includes "+permission
	}
	return o
}

// resourcesCoverAllUsers reads GET /api/v1/iam/resource-sets/{id}/resources
// and says whether the set holds all users (the users ORN, or the
// /api/v1/users collection), and what it covers.
func resourcesCoverAllUsers(body []byte) (all bool, scope string, err error) {
	var page struct {
		Resources []struct {
			ORN   string `json:"orn"`
			Links struct {
				Self struct {
					Href string `json:"href"`
				} `json:"self"`
			} `json:"_links"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.Resources == nil {
		return false, "", errors.New("the resource set's resources are not a list")
	}
	var what []string
	for _, r := range page.Resources {
		if strings.HasSuffix(r.ORN, ":users") || strings.HasSuffix(r.Links.Self.Href, "/api/v1/users") {
			return true, "all users", nil
		}
		what = append(what, cmpOr(r.ORN, r.Links.Self.Href))
	}
	if len(what) == 0 {
		return false, "an empty resource set", nil
	}
	return false, strings.Join(what, ", "), nil
}

// parsePermissions reads GET /api/v1/iam/roles/{id}/permissions.
func parsePermissions(body []byte) ([]string, error) {
	var page struct {
		Permissions []struct {
			Label string `json:"label"`
		} `json:"permissions"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.Permissions == nil {
		return nil, errors.New("the role's permissions are not a list")
	}
	var out []string
	for _, p := range page.Permissions {
		out = append(out, p.Label)
	}
	return out, nil
}

// remediationPermissions are the catalog's remediation permissions, in
// catalog order: what the custom role holds.
func remediationPermissions(cp catalog.Provider) []string {
	var out []string
	for _, c := range cp.Capabilities {
		if c.Tier != catalog.TierRemediate {
			continue
		}
		for _, p := range c.Permissions {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
