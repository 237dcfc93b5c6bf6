package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// Google's error descriptions that tell one invalid_grant from another
// (§2.3; GAM's OAUTH2_TOKEN_ERRORS). They are matched by prefix or
// substring, since Google has reworded some of them over time.
const (
	descBadUser     = "Invalid email or User ID"
	descNotEmail    = "Not a valid email"
	descBadPrn      = "Invalid impersonation"
	descDeletedUser = "The account has been deleted"
	descSignature   = "Invalid JWT Signature"
	descNoVerifier  = "No valid verifier found for issuer"
	descTimeframe   = "reasonable timeframe"
	descRestricted  = "Account restricted"
	descOrgPolicy   = "Requested client not authorized"
)

// minted is the delegated token for one scope, or why there is none.
type minted struct {
	scope string
	tok   *oauth2.Token
	err   error
	// via says how the token was had, for the evidence.
	via string
}

// request names the token request in evidence: no token or assertion.
func (m minted) request(admin string) string {
	return "POST /token (jwt-bearer, scope " + shortScope(m.scope) + " alone, as " + admin + ")"
}

// shortScope drops the common prefix of Google's scope URLs.
func shortScope(s string) string { return strings.TrimPrefix(s, scopePrefix) }

const scopePrefix = "https://www.googleapis.com/auth/"

func (p *Provider) prober(warn func(string)) *providers.Prober {
	return &providers.Prober{Provider: "Google", Env: p.env, DecodeError: decodeError, Warn: warn}
}

// mint requests a token for scope alone, acting as the admin: a JWT
// bearer grant signed by the service account's key (§2.2), retried under
// the prober's policy. Each scope is asked for on its own because Google
// refuses a request whole when any scope in it is not delegated.
//
// More scopes may be asked for at once (a token to hand over): Google
// grants them all or none.
func (p *Provider) mint(ctx context.Context, pr *providers.Prober, a account, scope string, more ...string) minted {
	c := flows.Client{Endpoints: flows.Endpoints{TokenURL: a.key.TokenURI}, HTTPClient: p.env.HTTP, Clock: p.env.Clock}
	assertion := flows.BearerAssertion{
		Key: a.key.key, Algorithm: "RS256", KeyID: a.key.PrivateKeyID,
		Issuer: a.key.ClientEmail, Subject: a.admin, Scopes: append([]string{scope}, more...),
		Lifetime: time.Hour, Now: p.env.Clock.Time,
	}
	m := minted{scope: scope}
	m.via = m.request(a.admin) + " → 200"
	m.err = pr.Retry(ctx, "the token request for "+shortScope(scope), func(ctx context.Context) (err error) {
		m.tok, err = c.JWTBearerToken(ctx, assertion)
		return err
	})
	return m
}

// isUndelegated reports whether Google refused a scope because domain-wide
// delegation does not grant it to the client id: 401 unauthorized_client
// (§2.3; both wordings Google has used).
func isUndelegated(err error) bool {
	var te *flows.TokenError
	return errors.As(err, &te) && te.Code == "unauthorized_client"
}

// signInError explains a refused delegated token request that concerns
// the key, the service account or the admin, not one scope: each in its
// own sentence with its fix.
func signInError(a account, err error, now time.Time) error {
	var te *flows.TokenError
	if !errors.As(err, &te) {
		return err // a NetworkError or a deadline: its message says it
	}
	reason, fix := explain(a, te, now)
	return &providers.SignInError{Reason: reason, Fix: fix, Err: err}
}

// explain turns a token endpoint refusal into a sentence and its fix.
func explain(a account, te *flows.TokenError, now time.Time) (reason, fix string) {
	k := a.key
	said := " (" + te.Error() + ")"
	desc := te.Description
	has := func(s string) bool { return strings.Contains(desc, s) }
	switch {
	case te.Code == "unauthorized_client":
		return "domain-wide delegation does not authorise client id " + k.ClientID + " for the scope asked, or does not list the client id at all" + said,
			"in the Admin console add client id " + k.ClientID + " under Security → API controls → Domain-wide delegation with the scopes tether lists"
	case te.Code == "invalid_grant" && has(descBadUser):
		return a.admin + " is not a user of the Workspace domain" + said,
			"impersonate the primary address of an existing admin (--set admin_email=admin@" + domainOf(a.admin) + "), not an alias or a group"
	case (te.Code == "invalid_grant" && has(descNotEmail)) || (te.Code == "invalid_request" && has(descBadPrn)):
		return "Google does not take " + a.admin + " as a user's address" + said,
			"give the primary address of a Workspace admin, like admin@" + domainOf(a.admin)
	case te.Code == "invalid_grant" && has(descDeletedUser):
		return "the admin " + a.admin + " has been deleted" + said,
			"impersonate another admin of the domain (--set admin_email=…)"
	case te.Code == "access_denied" && has(descRestricted), te.Code == "invalid_account":
		return "the admin " + a.admin + " is suspended or restricted" + said,
			"restore the account in the Admin console (Directory → Users), or impersonate another admin"
	case te.Code == "invalid_grant" && has(descSignature):
		return "Google no longer accepts key " + k.PrivateKeyID + " of " + k.ClientEmail + ": it was deleted or replaced" + said,
			"create a new JSON key on the service account's Keys tab (" + keysLink(k.ClientID, k.ProjectID) + ") and run tether setup google again with it"
	case te.Code == "invalid_grant" && has(descNoVerifier):
		return "Google knows no service account " + k.ClientEmail + " with this key: the service account was deleted" + said,
			"create a service account and a JSON key (" + cloudLink("/iam-admin/serviceaccounts", k.ProjectID) + "), authorise its client id for domain-wide delegation, and run tether setup google again"
	case te.Code == "invalid_grant" && has(descTimeframe):
		return "Google refused the assertion's time: this machine's clock reads " + now.UTC().Format(time.RFC3339) + ", which is off by more than Google allows" + said,
			"set the system clock right (turn on network time: timedatectl set-ntp true, or your platform's equivalent), then try again"
	case te.Code == "disabled_client" || (te.Code == "invalid_grant" && has("disabled")):
		return "the service account " + k.ClientEmail + " is disabled" + said,
			"enable it under IAM & Admin → Service accounts (" + cloudLink("/iam-admin/serviceaccounts", k.ProjectID) + ")"
	case te.Code == "deleted_client":
		return "the service account " + k.ClientEmail + " has been deleted" + said,
			"undelete it within 30 days (gcloud iam service-accounts undelete " + k.ClientID + "), or create a new one and run tether setup google again"
	case te.Code == "access_denied" && has(descOrgPolicy):
		return "an organization policy does not allow client id " + k.ClientID + said,
			"ask the Workspace admin to allow the client under Security → API controls → App access control"
	case te.Code == "invalid_scope":
		return "Google does not know a scope tether asked for" + said,
			"this is a defect of tether; please report it with this message"
	case te.Status == http.StatusTooManyRequests:
		return "Google is rate-limiting token requests for " + k.ClientEmail + said, "wait a minute and try again"
	case te.Status >= 500:
		return "Google's token endpoint had a server error" + said, "try again; if it persists check https://www.google.com/appsstatus"
	}
	return "Google refused the token request" + said, ""
}

// tokenObservation judges a scope whose delegated token was refused.
func tokenObservation(a account, m minted, now time.Time) (providers.Status, string, string) {
	var te *flows.TokenError
	if !errors.As(m.err, &te) {
		return providers.Error, m.request(a.admin) + " → " + m.err.Error(), providers.Answer{Err: m.err}.Advice("Google")
	}
	evidence := fmt.Sprintf("%s → %d %s", m.request(a.admin), te.Status, te.Code)
	if te.Description != "" {
		evidence += ": " + te.Description
	}
	if isUndelegated(m.err) {
		return providers.Missing, evidence, ""
	}
	reason, fix := explain(a, te, now)
	if fix == "" {
		fix = reason
	} else {
		fix = reason + "; " + fix
	}
	return providers.Error, evidence, fix
}
