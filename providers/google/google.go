// Package google connects tether to a Google Workspace domain, either
// through a service account with domain-wide delegation, verified scope by
// scope with a delegated token for each scope alone and one cheap Admin
// SDK or Reports read per scope, or through an admin's browser consent.
//
// Wire contract: shared/providers/entra-google-salesforce.md §2. The
// emulator is googletest.
package google

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// ID is the catalog id of Google Workspace.
const ID = "google"

// Input keys.
const (
	InputKey   = "key"
	InputAdmin = "admin_email"
)

// Settings keys, besides the inputs: what a connection keeps of its key.
const (
	SettingClientEmail = "client_email"
	SettingClientID    = "client_id"
	SettingProjectID   = "project_id"
	SettingKeyID       = "key_id"
	SettingTokenURL    = "token_uri"
	SettingKeyCreated  = "key_created"
)

// Method ids.
const (
	MethodServiceAccount = "service-account"
)

// The hosts tether calls.
const (
	adminBase  = "https://admin.googleapis.com"
	certBase   = "https://www.googleapis.com/robot/v1/metadata/x509/"
	consoleURL = "https://console.cloud.google.com"
	adminURL   = "https://admin.google.com"
)

// Provider is Google Workspace.
type Provider struct {
	env providers.Env
	cat catalog.Provider
}

var _ providers.Provider = (*Provider)(nil)

// New returns the Google Workspace provider for the catalog's requirements.
func New(cat *catalog.Catalog, env providers.Env) (*Provider, error) {
	cp, ok := cat.Provider(ID)
	if !ok {
		return nil, errors.New("google: not in the catalog")
	}
	return &Provider{env: env.WithDefaults(), cat: cp}, nil
}

func (p *Provider) ID() string { return ID }

// Describe names the domain, the service account and its key, and the
// host the credential is sent to.
func (p *Provider) Describe(conn providers.Connection) providers.Description {
	d := providers.Description{Tenant: conn.Tenant, APIHost: "admin.googleapis.com"}
	s := conn.Settings
	switch {
	case conn.Method == MethodBrowser:
		d.Principal = fmt.Sprintf("%s, consented to OAuth client %s", s[InputAdmin], s[InputClientID])
	case s[SettingClientEmail] != "":
		d.Principal = fmt.Sprintf("%s as %s (client id %s, key %s", s[SettingClientEmail], s[InputAdmin], s[SettingClientID], shortKeyID(s[SettingKeyID]))
		if c := s[SettingKeyCreated]; len(c) >= 10 {
			d.Principal += " created " + c[:10]
		}
		d.Principal += ")"
	}
	return d
}

// shortKeyID is the start of a key id, as the Keys tab shows it.
func shortKeyID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

var adminInput = providers.Input{
	Key: InputAdmin, Label: "Admin to impersonate",
	Help:        "the primary address of a Workspace admin whose role can read users, groups, roles, devices and audit logs (a super admin is simplest)",
	Placeholder: "admin@acme.com",
	Validate:    validAdmin,
}

func (p *Provider) Methods() []providers.Method {
	return []providers.Method{{
		ID: MethodServiceAccount, Name: "Service account (domain-wide delegation)", Kind: providers.KindKeyEntry,
		Summary: "headless: a service account's JSON key, authorised in the Admin console for exactly the scopes needed",
		Inputs: []providers.Input{{
			Key: InputKey, Label: "Service account key (JSON, or the path of the key file)", Secret: true, Multiline: true,
			Help:     "the JSON key from the service account's Keys tab: pipe it with --secret-stdin < key.json, or give the file's path",
			Validate: validKey,
		}, adminInput},
	}, browserMethod()}
}

// domainOf is the domain part of an address.
func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

// DelegationLink is the Admin console page that adds (or replaces: the
// entry is overwritten) a client id's domain-wide delegation with the
// scopes pre-filled, as GAM prints it (§2.4). Since the entry is
// overwritten, scopes must be every scope the client needs.
func DelegationLink(clientID string, scopes []string, admin string) string {
	q := url.Values{}
	if clientID != "" {
		q.Set("clientIdToAdd", clientID)
		q.Set("overwriteClientId", "true")
	}
	if len(scopes) > 0 {
		q.Set("clientScopeToAdd", strings.Join(slices.Sorted(slices.Values(scopes)), ","))
	}
	if admin != "" {
		q.Set("dn", domainOf(admin))
		q.Set("authuser", admin)
	}
	u := adminURL + "/ac/owl/domainwidedelegation"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// cloudLink is a Cloud console page, in the key's project when known.
func cloudLink(path, project string) string {
	u := consoleURL + path
	if project != "" {
		u += "?project=" + url.QueryEscape(project)
	}
	return u
}

// keysLink is the service account's Keys tab.
func keysLink(clientID, project string) string {
	if clientID == "" {
		return cloudLink("/iam-admin/serviceaccounts", project)
	}
	return cloudLink("/iam-admin/serviceaccounts/details/"+clientID+"/keys", project)
}

// apiLink is the Admin SDK API's page, where it is enabled.
func apiLink(project string) string {
	return cloudLink("/apis/library/admin.googleapis.com", project)
}

func (p *Provider) Steps(m providers.Method, in providers.Inputs) []providers.Step {
	admin, _ := ParseAdmin(in.Get(InputAdmin))
	var key *ServiceAccountKey
	if v := in.Get(InputKey); v != "" {
		key, _ = ReadKey(v)
	}
	project, clientID := "", ""
	if key != nil {
		project, clientID = key.ProjectID, key.ClientID
	}
	scopes := p.cat.Scopes(nil)
	remediate := slices.DeleteFunc(p.cat.Scopes(allCapabilities(p.cat)), func(s string) bool { return slices.Contains(scopes, s) })
	client := "its client id (the service account's Details tab: Unique ID, 21 digits)"
	if clientID != "" {
		client = "client id " + clientID
	}
	extra := ""
	if len(remediate) > 0 {
		extra = " For remediation add " + strings.Join(remediate, ",") + " as well."
	}
	if m.ID == MethodBrowser {
		return browserSteps(scopes, remediate, admin)
	}
	return []providers.Step{{
		Title:  "Create a service account",
		Detail: `IAM & Admin → Service accounts → Create service account; name it "tether". It needs no IAM role: domain-wide delegation alone grants its access.`,
		URL:    cloudLink("/iam-admin/serviceaccounts/create", project),
	}, {
		Title:  "Enable the Admin SDK API in the same project",
		Detail: "APIs & Services → Library → Admin SDK API → Enable; the Directory and Reports APIs are both part of it.",
		URL:    apiLink(project),
	}, {
		Title:  "Create a JSON key",
		Detail: "The service account's Keys tab → Add key → Create new key → JSON; keep the file for tether, which stores it in the keyring.",
		URL:    keysLink(clientID, project),
	}, {
		Title: "Authorise it for domain-wide delegation with exactly these scopes",
		Detail: "Admin console → Security → Access and data control → API controls → Domain-wide delegation → Add new: " + client +
			", OAuth scopes (comma-delimited): " + strings.Join(scopes, ",") + "." + extra +
			" The link pre-fills both once the key is known; it replaces the client's entry.",
		URL: DelegationLink(clientID, scopes, admin),
	}, {
		Title:  "Choose the admin tether acts as",
		Detail: "A Workspace admin whose role reads users, groups, roles, devices and reports (a super admin is simplest); tether only reads.",
		URL:    adminURL + "/ac/roles",
	}}
}

// allCapabilities lists the ids of every capability of cp.
func allCapabilities(cp catalog.Provider) []string {
	var ids []string
	for _, c := range cp.Capabilities {
		ids = append(ids, c.ID)
	}
	return ids
}

// account is who a connection acts as: the admin, through a service
// account's key (nil for a browser consent).
type account struct {
	key   *ServiceAccountKey
	admin string
}

// project is the service account's Cloud project, when known.
func (a account) project() string {
	if a.key == nil {
		return ""
	}
	return a.key.ProjectID
}

func accountOf(settings map[string]string, secret flows.Secret) (account, error) {
	admin, err := ParseAdmin(settings[InputAdmin])
	if err != nil {
		return account{}, err
	}
	key, err := ParseKey([]byte(secret.Get(InputKey)))
	if err != nil {
		return account{}, fmt.Errorf("the stored service account key does not parse (%w); run tether setup google again", err)
	}
	if id := settings[SettingKeyID]; id != "" && id != key.PrivateKeyID {
		return account{}, errors.New("the stored key is not the one this connection was set up with; run tether setup google again")
	}
	return account{key: key, admin: admin}, nil
}

func (p *Provider) Connect(ctx context.Context, m providers.Method, in providers.Inputs, io flows.Interaction) (providers.Connection, flows.Secret, error) {
	switch m.ID {
	case MethodBrowser:
		return p.connectBrowser(ctx, m, in, io)
	case MethodServiceAccount:
	default:
		return providers.Connection{}, flows.Secret{}, fmt.Errorf("unknown method %q", m.ID)
	}
	events := io.Events
	admin, err := ParseAdmin(in.Get(InputAdmin))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.InputError{Key: InputAdmin, Label: adminInput.Label, Err: err}
	}
	key, err := ReadKey(in.Get(InputKey))
	if err != nil {
		return providers.Connection{}, flows.Secret{}, &providers.InputError{Key: InputKey, Label: "Service account key", Err: err}
	}
	acct := account{key: key, admin: admin}
	settings := map[string]string{
		InputAdmin: admin, SettingClientEmail: key.ClientEmail, SettingClientID: key.ClientID,
		SettingKeyID: key.PrivateKeyID, SettingTokenURL: key.TokenURI,
	}
	if key.ProjectID != "" {
		settings[SettingProjectID] = key.ProjectID
	}
	events.Emit(flows.Progress{Message: fmt.Sprintf("service account %s, client id %s, key %s", key.ClientEmail, key.ClientID, key.PrivateKeyID)})
	pr := p.prober(nil)
	scope := p.cat.Scopes(nil)[0]
	events.Emit(flows.Progress{Message: "requesting a token for " + scope + " as " + admin})
	aged := make(chan age, 1)
	go func() { aged <- p.keyAge(ctx, pr, key) }()
	res := p.mint(ctx, pr, acct, scope)
	age := <-aged
	if age.err == nil {
		settings[SettingKeyCreated] = age.created.UTC().Format("2006-01-02T15:04:05Z")
		events.Emit(flows.Progress{Message: age.describe(p.env.Clock.Time())})
	}
	switch {
	case res.err == nil:
		events.Emit(flows.Progress{Message: "the key works and " + admin + " can be impersonated"})
	case isUndelegated(res.err):
		events.Emit(flows.Progress{Message: "the key works, but domain-wide delegation does not list client id " + key.ClientID + " with " + scope + " yet"})
	default:
		if age.deleted {
			return providers.Connection{}, flows.Secret{}, age.err
		}
		return providers.Connection{}, flows.Secret{}, signInError(acct, res.err, p.env.Clock.Time())
	}
	caps, _ := providers.CapabilitiesOf(ctx)
	scopes := p.cat.Scopes(caps)
	events.Emit(flows.Progress{Message: "domain-wide delegation: client id " + key.ClientID + ", OAuth scopes " + strings.Join(scopes, ",") +
		"; the Admin console page pre-filled with both: " + DelegationLink(key.ClientID, scopes, admin)})
	return providers.Connection{Provider: ID, Method: m.ID, Tenant: domainOf(admin), Settings: settings},
		flows.NewSecret(map[string]string{InputKey: key.JSON()}), nil
}
