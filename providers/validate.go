package providers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/tetherdev/tether/flows"
)

// RecordChecker is implemented by a provider that keeps settings of its
// own besides its methods' inputs (an instance URL learned at sign-in,
// say): CheckConnection says whether they are sound, as the sign-in that
// wrote them would have. Inputs are checked before it is called.
type RecordChecker interface {
	CheckConnection(Connection) error
}

// config returns the connections file, read with every record checked
// as a setup checks its input.
func (m *Manager) config() Config {
	c := m.Config
	c.checker = managerChecker{m}
	return c
}

// CheckConfig reports, before anything is signed in, what keeps the
// connections file from being used or written: a config directory others
// can write (*UnsafeConfigError), or a file tether cannot read as a whole
// (*ConfigError: a newer format, data after the JSON, too large).
func (m *Manager) CheckConfig() error {
	if err := m.Config.CheckPrivate(); err != nil {
		return err
	}
	_, err := m.Config.Load()
	return err
}

// Select returns the usable connections that PROVIDER[/NAME] references
// select, and the unusable records they select, for the command to
// report; no reference selects every record.
func (m *Manager) Select(refs []string) ([]Connection, []*RecordError, error) {
	f, err := m.Records()
	if err != nil {
		return nil, nil, err
	}
	var bad []*RecordError
	for _, u := range f.Unusable {
		if !u.Draft {
			bad = append(bad, u)
		}
	}
	if len(refs) == 0 {
		return f.Connections, bad, nil
	}
	var out []Connection
	var outBad []*RecordError
	for _, ref := range refs {
		prov, name, hasName := strings.Cut(ref, "/")
		if _, ok := m.Catalog.Provider(prov); !ok {
			return nil, nil, Usagef("unknown provider %q in %q (valid: %s)", prov, ref, strings.Join(m.Catalog.IDs(), ", "))
		}
		match := func(k flows.Key) bool { return k.Provider == prov && (!hasName || k.Name == name) }
		found := false
		for _, c := range f.Connections {
			if match(c.Key()) {
				found = true
				if !slices.ContainsFunc(out, func(o Connection) bool { return o.Key() == c.Key() }) {
					out = append(out, c)
				}
			}
		}
		for _, u := range bad {
			if match(u.Key) {
				found = true
				if !slices.Contains(outBad, u) {
					outBad = append(outBad, u)
				}
			}
		}
		if !found {
			return nil, nil, Usagef("no connection %s; tether status lists them, tether setup %s creates one", ref, prov)
		}
	}
	return out, outBad, nil
}

// Records reads the connections file and checks every record exactly as
// a setup checks its input: the provider is one tether can connect, the
// name is valid, the method is one of the provider's, each setting that
// is an input of the method passes that input's check and none is a
// secret, the capabilities and the store are known. A record that fails
// is left out, with the reason, in Unusable.
func (m *Manager) Records() (*ConfigFile, error) {
	return m.config().Load()
}

type managerChecker struct{ m *Manager }

func (c managerChecker) checkConnection(conn Connection) error {
	m := c.m
	method, err := m.recordMethod(conn.Provider, conn.Name, conn.Method, false)
	if err != nil {
		return err
	}
	if err := checkSettings(method, conn.Settings); err != nil {
		return err
	}
	cp, _ := m.Catalog.Provider(conn.Provider)
	if _, err := cp.Normalize(conn.Capabilities); err != nil {
		return err
	}
	if _, err := flows.ParseStoreKind(string(conn.Store)); err != nil {
		return err
	}
	if hasControl(conn.Tenant) {
		return fmt.Errorf("the tenant %q holds control characters", conn.Tenant)
	}
	if err := checkVerification(conn.LastVerification); err != nil {
		return err
	}
	if p, _ := m.Provider(conn.Provider); p != nil {
		if rc, ok := p.(RecordChecker); ok {
			return rc.CheckConnection(conn)
		}
	}
	return nil
}

func (c managerChecker) checkDraft(d Draft) error {
	m := c.m
	method, err := m.recordMethod(d.Provider, d.Name, d.Method, true)
	if err != nil {
		return err
	}
	if d.Method == "" { // no method chosen yet: no secret of any
		p, _ := m.Provider(d.Provider)
		for _, meth := range p.Methods() {
			if err := checkSecretFree(meth, d.Inputs); err != nil {
				return err
			}
		}
	} else if err := checkSecretFree(method, d.Inputs); err != nil {
		return err
	}
	for k, v := range d.Inputs { // partly typed values are kept as typed
		if hasControl(k) || hasControl(v) {
			return fmt.Errorf("the input %q holds control characters", k)
		}
	}
	if hasControl(d.Step) {
		return fmt.Errorf("the step %q holds control characters", d.Step)
	}
	if len(d.Capabilities) > 0 {
		cp, _ := m.Catalog.Provider(d.Provider)
		if _, err := cp.Normalize(d.Capabilities); err != nil {
			return err
		}
	}
	return nil
}

// recordMethod checks a record's provider and name, and returns its
// method; a draft may have none yet.
func (m *Manager) recordMethod(provider, name, methodID string, draft bool) (Method, error) {
	if _, ok := m.Catalog.Provider(provider); !ok {
		return Method{}, fmt.Errorf("unknown provider %q (valid: %s)", provider, strings.Join(m.Catalog.IDs(), ", "))
	}
	p, ok := m.Provider(provider)
	if !ok {
		return Method{}, fmt.Errorf("%s: %w by this tether", provider, ErrNotImplemented)
	}
	if err := flows.ValidName(name); err != nil {
		return Method{}, err
	}
	if methodID == "" && draft {
		return Method{}, nil
	}
	if methodID == "" {
		return Method{}, errors.New("no method")
	}
	return FindMethod(p, methodID)
}

// checkSettings checks settings as Method.Validate checks inputs: a
// required non-secret input is there, each setting that is an input
// passes that input's check, and no secret input is among them. Settings
// that are no input of the method are the provider's own (RecordChecker).
func checkSettings(method Method, settings map[string]string) error {
	if err := checkSecretFree(method, settings); err != nil {
		return err
	}
	var errs []error
	for _, in := range method.Inputs {
		if in.Secret {
			continue
		}
		v := strings.TrimSpace(settings[in.Key])
		switch {
		case v == "" && !in.Optional:
			errs = append(errs, &InputError{Key: in.Key, Label: in.Label, Err: ErrRequired})
		case v != "" && in.Validate != nil:
			if err := in.Validate(v); err != nil {
				errs = append(errs, &InputError{Key: in.Key, Label: in.Label, Err: err})
			}
		case hasControl(v):
			errs = append(errs, &InputError{Key: in.Key, Label: in.Label, Err: errors.New("holds control characters")})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// ErrSecretInMetadata means that a record of the connections file holds
// a secret input's value, which belongs in the credential store only.
var ErrSecretInMetadata = errors.New("a secret is in the connections file")

// checkSecretFree says which secret input of method values holds,
// never quoting the value.
func checkSecretFree(method Method, values map[string]string) error {
	for _, in := range method.SecretInputs() {
		if _, ok := values[in.Key]; ok {
			return fmt.Errorf("%w: %q belongs in the credential store only (replace that secret if others could read the file)", ErrSecretInMetadata, in.Key)
		}
	}
	return nil
}

func checkVerification(v *Verification) error {
	if v == nil {
		return nil
	}
	switch v.Verdict {
	case VerdictOK, VerdictMissing, VerdictNone:
	default:
		return fmt.Errorf("the last verification's verdict %q is not one of %s, %s, %s", v.Verdict, VerdictOK, VerdictMissing, VerdictNone)
	}
	for s, n := range v.Counts {
		if !slices.Contains(Statuses, s) || n < 0 {
			return fmt.Errorf("the last verification counts %d checks as %q", n, s)
		}
	}
	for _, p := range v.Missing {
		if hasControl(p) {
			return fmt.Errorf("the last verification's missing permission %q holds control characters", p)
		}
	}
	for _, p := range v.Excess {
		if hasControl(p) {
			return fmt.Errorf("the last verification's excess grant %q holds control characters", p)
		}
	}
	return nil
}

// hasControl reports whether s holds a control character, which a
// terminal would obey instead of printing.
func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

// Shown is how an error names a value the admin typed: quoted when it is
// short, one line, and has no long run of token characters (a host name,
// an email, a GUID), and otherwise only by its length, since a value
// that fails a field's check is often a secret pasted into the wrong
// field (a key, a token) and must not be echoed.
func Shown(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= 80 && !strings.ContainsAny(s, "\n\r") && !tokenRun.MatchString(s) {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("the value given (%d characters, not shown: it may be a secret)", len(s))
}

// tokenRun is a run of characters long enough to be a secret's.
var tokenRun = regexp.MustCompile(`[A-Za-z0-9_+/=~]{24,}`)
