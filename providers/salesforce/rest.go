package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tetherdev/tether/providers"
)

// decodeError reads a REST API error body: a JSON array of
// {"message","errorCode"} (§3.5), or one such object, as sfdx-core
// accepts both.
func decodeError(_ int, body []byte) (code, message string) {
	type restError struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	var list []restError
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		return list[0].ErrorCode, list[0].Message
	}
	var one restError
	if json.Unmarshal(body, &one) == nil {
		return one.ErrorCode, one.Message
	}
	return "", ""
}

var versionPattern = regexp.MustCompile(`^[0-9]{2,3}\.[0-9]$`)

// latestVersion picks the highest API version from the Versions
// resource (GET /services/data/): [{"label","url","version":"62.0"}, …].
func latestVersion(body []byte) (string, error) {
	var versions []struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &versions); err != nil {
		return "", errors.New("the API versions answer is not a JSON array of versions")
	}
	best, bestN := "", -1.0
	for _, v := range versions {
		if !versionPattern.MatchString(v.Version) {
			continue
		}
		n, err := strconv.ParseFloat(v.Version, 64)
		if err == nil && n > bestN {
			best, bestN = v.Version, n
		}
	}
	if best == "" {
		return "", errors.New("the API versions answer lists no version like 62.0")
	}
	return best, nil
}

// apiAccessQuery asks the session's own effective "API Enabled"
// (UserPermissionAccess, API 41.0 and later: no View Setup needed).
const apiAccessQuery = "SELECT PermissionsApiEnabled FROM UserPermissionAccess"

// userQuery names a user's username, profile and permission sets (those
// the user is assigned, not the profile's own).
func userQuery(userID string) string {
	return "SELECT Username, Profile.Name, (SELECT PermissionSet.Name, PermissionSet.Label FROM PermissionSetAssignments WHERE PermissionSet.IsOwnedByProfile = false) FROM User WHERE Id = '" + userID + "'"
}

// apiEnabled reads PermissionsApiEnabled from the UserPermissionAccess
// query's answer; known is false when the answer does not say.
func apiEnabled(body []byte) (enabled, known bool) {
	var res struct {
		Records []struct {
			PermissionsApiEnabled *bool `json:"PermissionsApiEnabled"`
		} `json:"records"`
	}
	if json.Unmarshal(body, &res) != nil || len(res.Records) != 1 || res.Records[0].PermissionsApiEnabled == nil {
		return false, false
	}
	return *res.Records[0].PermissionsApiEnabled, true
}

// isLimits reports whether a 2xx body is the Limits resource: an object
// of limits, each with Max and Remaining.
func isLimits(body []byte) bool {
	var limits map[string]struct {
		Max       *int64 `json:"Max"`
		Remaining *int64 `json:"Remaining"`
	}
	if json.Unmarshal(body, &limits) != nil || len(limits) == 0 {
		return false
	}
	l, ok := limits["DailyApiRequests"]
	return ok && l.Max != nil && l.Remaining != nil
}

// integrationUser is what the User query says of the integration user.
type integrationUser struct {
	Username       string
	Profile        string
	PermissionSets []string
}

func parseUser(body []byte) (integrationUser, error) {
	var res struct {
		Records []struct {
			Username string `json:"Username"`
			Profile  *struct {
				Name string `json:"Name"`
			} `json:"Profile"`
			Assignments *struct {
				Records []struct {
					PermissionSet struct {
						Name  string `json:"Name"`
						Label string `json:"Label"`
					} `json:"PermissionSet"`
				} `json:"records"`
			} `json:"PermissionSetAssignments"`
		} `json:"records"`
	}
	if err := json.Unmarshal(body, &res); err != nil || len(res.Records) != 1 {
		return integrationUser{}, errors.New("the User query's answer is not one user record")
	}
	r := res.Records[0]
	u := integrationUser{Username: r.Username}
	if r.Profile != nil {
		u.Profile = r.Profile.Name
	}
	if r.Assignments != nil {
		for _, a := range r.Assignments.Records {
			name := a.PermissionSet.Label
			if name == "" {
				name = a.PermissionSet.Name
			}
			u.PermissionSets = append(u.PermissionSets, name)
		}
	}
	return u, nil
}

func (u integrationUser) String() string {
	s := fmt.Sprintf("%s (profile %s", u.Username, orNone(u.Profile))
	if len(u.PermissionSets) > 0 {
		s += "; permission sets " + strings.Join(u.PermissionSets, ", ")
	} else {
		s += "; no permission sets"
	}
	return s + ")"
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// integrationUserFlag reads is_salesforce_integration_user from a
// userinfo answer; ok is false when the answer does not say.
func integrationUserFlag(a providers.Answer) (integration, ok bool) {
	if !a.OK() {
		return false, false
	}
	var info struct {
		Integration *bool `json:"is_salesforce_integration_user"`
	}
	if json.Unmarshal(a.Body, &info) != nil || info.Integration == nil {
		return false, false
	}
	return *info.Integration, true
}
