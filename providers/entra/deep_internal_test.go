package entra

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// answer is a Graph answer of status with the error body, decoded as the
// prober decodes it.
func answer(status int, body string) providers.Answer {
	a := providers.Answer{Request: "GET /v1.0/x", Status: status, Body: []byte(body), Header: http.Header{}}
	a.Code, a.Message = decodeError(status, []byte(body))
	return a
}

// The 403 bodies of §1.8.2, as Graph sends them.
const (
	bodyRequestDenied   = `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2022-05-20T17:00:59","request-id":"96c34f44-0000","client-request-id":"96c34f44-0000"}}}`
	bodyPermMissing     = `{"error":{"code":"Authentication_MSGraphPermissionMissing","message":"Calling principal does not have required MSGraph permissions AuditLog.Read.All","innerError":{"date":"2023-08-08T05:24:56","request-id":"redacted","client-request-id":"redacted"}}}`
	bodyNoAuditAccess   = `{"error":{"code":"Authentication_ApplicationHasNoReadAuditLogDataAccess","message":"Application missing MSGraph API 'Read all audit log data' permission"}}`
	bodyNonPremium      = `{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant","message":"Neither tenant is B2C or tenant doesn't have premium license","innerError":{"date":"2021-09-02T14:32:39","request-id":"2501535b","client-request-id":"2501535b"}}}`
	bodyIntuneForbidden = `{"error":{"code":"Forbidden","message":"{\r\n  \"_version\": 3,\r\n  \"Message\": \"Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.Read.All, DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): 00000000-0000 - Activity ID: 1 - Url: https://proxy.amsub0502.manage.microsoft.com/\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null\r\n}"}}`
	bodyIntuneUnknown   = `{"error":{"code":"UnknownError","message":"{\"ErrorCode\":\"Forbidden\",\"Message\":\"{\\r\\n  \\\"_version\\\": 3,\\r\\n  \\\"Message\\\": \\\"An error has occurred - Operation ID (for customer support): 0000\\\"\\r\\n}\"}"}}`
	bodyIntuneNotLic    = `{"error":{"code":"BadRequest","message":"Request not applicable to target tenant.","innerError":{"date":"2023-01-01T00:00:00","request-id":"1","client-request-id":"1"}}}`
	bodyRiskNotLic      = `{"error":{"code":"Forbidden","message":"Your tenant is not licensed for this feature."}}`
)

// TestClassify: each §1.8.2 variant maps to its outcome, with the
// licence it names and Graph's message in plain words.
func TestClassify(t *testing.T) {
	found := answer(http.StatusFound, "")
	found.Header.Set("Location", "https://reportsncu.office.com/data/download/x")
	for _, tt := range []struct {
		name    string
		a       providers.Answer
		need    string
		out     readOutcome
		license string
		reason  string
	}{
		{"200", answer(200, `{"value":[]}`), "", readOK, "", ""},
		{"302 report download", found, "", readOK, "", ""},
		{"302 without a location", answer(http.StatusFound, ""), "", readFailed, "", ""},
		{"directory object denied", answer(403, bodyRequestDenied), "", readDenied, "", "Insufficient privileges to complete the operation."},
		{"audit permission missing", answer(403, bodyPermMissing), licenseP1, readDenied, "", "Calling principal does not have required MSGraph permissions AuditLog.Read.All"},
		{"older audit variant", answer(403, bodyNoAuditAccess), licenseP1, readDenied, "", "Application missing MSGraph API 'Read all audit log data' permission"},
		{"sign-ins without P1/P2", answer(403, bodyNonPremium), licenseP1, readLicense, licenseP1, "Neither tenant is B2C or tenant doesn't have premium license"},
		{"non-premium on a read that names no licence", answer(403, bodyNonPremium), "", readLicense, licenseP1, "Neither tenant is B2C or tenant doesn't have premium license"},
		{"Intune forbidden, JSON message", answer(403, bodyIntuneForbidden), licenseIntune, readDenied, "",
			"Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.Read.All, DeviceManagementConfiguration.ReadWrite.All"},
		{"Intune unknown error, nested twice", answer(401, bodyIntuneUnknown), licenseIntune, readFailed, "", "An error has occurred"},
		{"Intune not licensed", answer(400, bodyIntuneNotLic), licenseIntune, readLicense, licenseIntune, "Request not applicable to target tenant."},
		{"risky users without P2", answer(403, bodyRiskNotLic), licenseP2, readLicense, licenseP2, "Your tenant is not licensed for this feature."},
		{"licence words on a read that needs none", answer(403, bodyRiskNotLic), "", readDenied, "", "Your tenant is not licensed for this feature."},
		{"429", answer(429, `{"error":{"code":"TooManyRequests","message":"Too many requests"}}`), "", readFailed, "", "Too many requests"},
		{"500", answer(500, `{"error":{"code":"InternalServerError","message":"boom"}}`), "", readFailed, "", "boom"},
		{"network", providers.Answer{Request: "GET /v1.0/x", Err: flows.NetError("https://graph.microsoft.com/v1.0/x", errors.New("connection refused"))}, "", readFailed, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, license, reason := classify(tt.a, tt.need)
			if out != tt.out || license != tt.license || reason != tt.reason {
				t.Errorf("classify = %d, %q, %q; want %d, %q, %q", out, license, reason, tt.out, tt.license, tt.reason)
			}
		})
	}
}

// TestDeepObserve: the roles claim decides the grant; a deep read adds a
// licence problem without changing it, and a refusal or a failed read
// leaves no verdict, never granted.
func TestDeepObserve(t *testing.T) {
	roles := []string{"AuditLog.Read.All", "User.Read.All", "User.ReadWrite.All", "UserAuthenticationMethod.Read.All"}
	for _, tt := range []struct {
		name     string
		perm     string
		a        providers.Answer
		status   providers.Status
		license  string
		evidence string
	}{
		{"read works", "User.Read.All", answer(200, `{"value":[]}`), providers.Granted, "", "→ 200: the read works"},
		{"licence problem", "AuditLog.Read.All", answer(403, bodyNonPremium), providers.Granted, licenseP1, "granted but unusable"},
		{"refused though held", "AuditLog.Read.All", answer(403, bodyPermMissing), providers.Error, "", "refused the read: Calling principal"},
		{"network", "User.Read.All", providers.Answer{Request: "GET /v1.0/users", Err: errors.New("connection reset")}, providers.Error, "", "no usable answer"},
		{"prerequisite failed", "UserAuthenticationMethod.Read.All", providers.Answer{Err: errors.New("not run, since what it needs failed: GET /v1.0/users → 500")}, providers.Error, "", "not run"},
		{"skipped", "UserAuthenticationMethod.Read.All", providers.Answer{Skipped: "the tenant has no user to read with UserAuthenticationMethod.Read.All"}, providers.Granted, "", "did not run: the tenant has no user"},
		{"write permission", "User.ReadWrite.All", providers.Answer{}, providers.Granted, "", "the claim alone decides"},
		{"missing from roles", "Policy.Read.All", answer(200, `{"value":[]}`), providers.Missing, "", "lacks Policy.Read.All"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := deepObserve(tt.perm, roles, nil, tt.a)
			if o.Status != tt.status || o.License != tt.license || !strings.Contains(o.Evidence, tt.evidence) {
				t.Errorf("deepObserve = %s, licence %q, evidence %q; want %s, %q, containing %q", o.Status, o.License, o.Evidence, tt.status, tt.license, tt.evidence)
			}
			if o.License != "" && o.LicenseURL == "" {
				t.Errorf("licence %q without a link", o.License)
			}
			if o.Status == providers.Error && tt.name == "refused though held" && !strings.Contains(o.Advice, "Conditional Access") {
				t.Errorf("advice %q does not name the causes", o.Advice)
			}
		})
	}
}

// TestLicenseWarnings: one warning per licence, naming the permissions
// it holds back and a link.
func TestLicenseWarnings(t *testing.T) {
	w := licenseWarnings(map[string]providers.Answer{
		"AuditLog.Read.All":                      answer(403, bodyNonPremium),
		"IdentityRiskyUser.Read.All":             answer(403, bodyRiskNotLic),
		"DeviceManagementApps.Read.All":          answer(400, bodyIntuneNotLic),
		"DeviceManagementConfiguration.Read.All": answer(400, bodyIntuneNotLic),
		"User.Read.All":                          answer(200, `{"value":[]}`),
	})
	if len(w) != 3 || !strings.Contains(w[0], licenseP1) || !strings.Contains(w[1], licenseP2) ||
		!strings.Contains(w[2], "DeviceManagementConfiguration.Read.All, DeviceManagementApps.Read.All") || !strings.Contains(w[2], licenseIntuneURL) {
		t.Errorf("warnings = %q", w)
	}
}
