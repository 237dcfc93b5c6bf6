package entratest

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tetherdev/tether/flows/oauthtest"
)

// GraphCLIClientID is Microsoft Graph Command Line Tools, the public
// client that tenants know without registering it (§1.9).
const GraphCLIClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// DemoAdmin is the admin who approves device codes in the emulated
// tenants.
const DemoAdmin = "admin@" + DemoDomain

const deviceLifetime = 15 * time.Minute

// deviceCode is the device authorization endpoint (§1.4).
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		aadError(w, now, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	s.mu.Lock()
	t := s.tenantLocked(r.Host, r.PathValue("tenant"))
	s.mu.Unlock()
	p := r.PostForm
	switch {
	case t == nil:
		aadError(w, now, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+r.PathValue("tenant")+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	case p.Get("client_id") == "":
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	case p.Get("client_id") != GraphCLIClientID:
		aadError(w, now, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+p.Get("client_id")+"' was not found in the directory '"+t.ID+"'.")
		return
	case p.Get("scope") == "":
		aadError(w, now, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	dc, uc := s.devices.Issue(oauthtest.DeviceRequest{ClientID: p.Get("client_id"), Scopes: strings.Fields(p.Get("scope")), Audience: t.ID}, now, deviceLifetime, 5*time.Second)
	oauthtest.NoStore(w.Header())
	oauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"user_code": uc, "device_code": dc, "verification_uri": "https://microsoft.com/devicelogin",
		"expires_in": int(deviceLifetime.Seconds()), "interval": 5,
		"message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code " + uc + " to authenticate.",
	})
}

// ApproveDevice approves a pending device code as the demo admin.
func (s *Server) ApproveDevice(userCode string) error {
	return s.devices.Approve(userCode, s.opts.Now())
}

// DenyDevice refuses it.
func (s *Server) DenyDevice(userCode string) error { return s.devices.Deny(userCode, s.opts.Now()) }

// PendingDevices lists the user codes awaiting the admin.
func (s *Server) PendingDevices() []string { return s.devices.Pending(s.opts.Now()) }

// deviceToken answers a device code poll, in either grant type form
// (§1.4: MSAL Go sends device_code, x/oauth2 the URN), as Entra does:
// every answer but the token is a 400.
func (s *Server) deviceToken(w http.ResponseWriter, t Tenant, clientID, deviceCode string, now time.Time) {
	if s.opts.BlockDeviceCode {
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.")
		return
	}
	st, req := s.devices.Poll(deviceCode, clientID, now)
	switch st {
	case oauthtest.DevicePending:
		aadError(w, now, http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
	case oauthtest.DeviceSlowDown:
		aadError(w, now, http.StatusBadRequest, "slow_down", 70016, "OAuth 2.0 device flow error. Polling too fast: slow down.")
	case oauthtest.DeviceDenied:
		aadError(w, now, http.StatusBadRequest, "authorization_declined", 70000, "The user declined the authorization request.")
	case oauthtest.DeviceExpired:
		aadError(w, now, http.StatusBadRequest, "expired_token", 70019, "Verification code expired.")
	case oauthtest.DeviceInvalid:
		aadError(w, now, http.StatusBadRequest, "invalid_grant", 70018, "Invalid verification code.")
	case oauthtest.DeviceApproved:
		if req.Audience != t.ID {
			aadError(w, now, http.StatusBadRequest, "invalid_grant", 70018, "Invalid verification code.")
			return
		}
		s.delegatedToken(w, t, clientID, req.Scopes, now)
	}
}
