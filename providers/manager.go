package providers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
)

// Manager runs setups and verifications and keeps their records: it ties
// the providers to the credential store and the metadata file. The CLI,
// the TUI and the SSH server all go through one.
type Manager struct {
	Catalog   *catalog.Catalog
	Providers []Provider
	Config    Config
	// Store returns the credential store of a kind, opening it on first use.
	Store func(flows.StoreKind) (flows.Store, error)
	// StoreKind is where new credentials go.
	StoreKind flows.StoreKind
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ExpiryWarning is how long before a secret expires verification warns;
	// 0 means DefaultExpiryWarning.
	ExpiryWarning time.Duration
	// Wait waits for d or until ctx ends (consent-lag re-checks); nil is
	// the real clock.
	Wait func(ctx context.Context, d time.Duration) error
	// Interact, when set, stands between a setup and the admin: the
	// sandbox's demo admin answers the sign-ins in it.
	Interact func(ctx context.Context, provider string, io flows.Interaction) flows.Interaction
	// Timeout bounds each connection's verification (and a setup's sign-in
	// and first verification each); 0 means DefaultTimeout.
	Timeout time.Duration
	// Changed, when set, is told of every setup and forget once it ends,
	// with its error (nil: done), for an audit log.
	Changed func(action string, k flows.Key, err error)
	// Verified, when set, is told of every Verify once it ends, with its
	// result, for an audit log.
	Verified func(conn Connection, res Result)
}

// DefaultTimeout is how long one connection's verification may take.
const DefaultTimeout = 30 * time.Second

func (m *Manager) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return DefaultTimeout
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Provider returns the implementation for a catalog provider id.
func (m *Manager) Provider(id string) (Provider, bool) {
	i := slices.IndexFunc(m.Providers, func(p Provider) bool { return p.ID() == id })
	if i < 0 {
		return nil, false
	}
	return m.Providers[i], true
}

// Describe returns how conn presents itself, as its provider describes it.
func (m *Manager) Describe(conn Connection) Description {
	if p, ok := m.Provider(conn.Provider); ok {
		d := safeDescribe(p, conn)
		if d.Tenant == "" {
			d.Tenant = conn.Tenant
		}
		return d
	}
	return Description{Tenant: conn.Tenant}
}

// safeDescribe keeps a provider's bug in Describe from ending the program.
func safeDescribe(p Provider, conn Connection) (d Description) {
	_ = safely(func() error { d = p.Describe(conn); return nil })
	return d
}

// FindMethod returns p's method with the given id; "" means the first.
func FindMethod(p Provider, id string) (Method, error) {
	ms := p.Methods()
	if id == "" {
		return ms[0], nil
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return Method{}, Usagef("%s has no method %q (valid: %s)", p.ID(), id, strings.Join(ids, ", "))
}

// SetupRequest is what an admin asks a setup for.
type SetupRequest struct {
	Provider     string
	Name         string
	Method       string
	Capabilities []string
	Inputs       Inputs
}

// Plan is a validated setup request: everything is known to be well formed
// before any network call.
type Plan struct {
	Provider     Provider
	Catalog      catalog.Provider
	Method       Method
	Name         string
	Capabilities []string
	Inputs       Inputs
}

// Key returns the store key of the planned connection.
func (p Plan) Key() flows.Key { return flows.Key{Provider: p.Provider.ID(), Name: p.Name} }

// Lookup returns the implementation and the catalog entry of a provider,
// or an error that says which providers exist and which can be set up.
func (m *Manager) Lookup(id string) (Provider, catalog.Provider, error) {
	cp, ok := m.Catalog.Provider(id)
	if !ok {
		return nil, cp, Usagef("unknown provider %q (valid: %s)", id, strings.Join(m.Catalog.IDs(), ", "))
	}
	p, ok := m.Provider(id)
	if !ok {
		return nil, cp, fmt.Errorf("%s: %w (tether can set up: %s)", cp.Name, ErrNotImplemented, strings.Join(m.implemented(), ", "))
	}
	return p, cp, nil
}

// Plan validates req without any network call.
func (m *Manager) Plan(req SetupRequest) (Plan, error) {
	p, cp, err := m.Lookup(req.Provider)
	if err != nil {
		return Plan{}, err
	}
	if err := flows.ValidName(req.Name); err != nil {
		return Plan{}, &UsageError{Msg: err.Error()}
	}
	caps, err := cp.Normalize(req.Capabilities)
	if err != nil {
		return Plan{}, &UsageError{Msg: err.Error()}
	}
	method, err := FindMethod(p, req.Method)
	if err != nil {
		return Plan{}, err
	}
	if err := method.Validate(req.Inputs); err != nil {
		return Plan{}, err
	}
	return Plan{Provider: p, Catalog: cp, Method: method, Name: req.Name, Capabilities: caps, Inputs: req.Inputs}, nil
}

func (m *Manager) implemented() []string {
	var ids []string
	for _, p := range m.Providers {
		ids = append(ids, p.ID())
	}
	return ids
}

// ProbeStore opens the store new credentials go to and checks that it
// works. Call it before a sign-in that the admin takes part in, so that a
// credential is never obtained and then lost.
func (m *Manager) ProbeStore(ctx context.Context) (flows.Store, error) {
	store, err := m.Store(m.StoreKind)
	if err != nil {
		return nil, err
	}
	if err := store.Probe(ctx); err != nil {
		return nil, err
	}
	return store, nil
}

// SetupResult is what a setup produced.
type SetupResult struct {
	Connection Connection
	// Location says where the credential was stored.
	Location string
	// Replaced reports whether an existing connection was replaced.
	Replaced bool
	// Verification is the first verification of the new connection.
	Verification Result
}

// Setup runs a planned setup: it probes the store, signs in, stores the
// secret and the metadata, and verifies, reporting each check through r.
// An existing connection with the same name is replaced only once the new
// credential has been obtained and stored.
func (m *Manager) Setup(ctx context.Context, plan Plan, io flows.Interaction, r Reporter) (SetupResult, error) {
	res, err := m.setup(ctx, plan, io, r)
	if m.Changed != nil {
		m.Changed("setup", plan.Key(), err)
	}
	return res, err
}

func (m *Manager) setup(ctx context.Context, plan Plan, io flows.Interaction, r Reporter) (SetupResult, error) {
	if err := m.CheckConfig(); err != nil {
		return SetupResult{}, err
	}
	store, err := m.ProbeStore(ctx)
	if err != nil {
		return SetupResult{}, err
	}
	var conn Connection
	var secret flows.Secret
	// The sign-in, and whoever stands in for the admin in it, know what
	// the setup enables.
	ctx = WithCapabilities(ctx, plan.Capabilities)
	if m.Interact != nil {
		io = m.Interact(ctx, plan.Provider.ID(), io)
	}
	err = safely(func() (err error) {
		conn, secret, err = plan.Provider.Connect(WithCapabilities(ctx, plan.Capabilities), plan.Method, plan.Inputs, io)
		return err
	})
	if err != nil {
		return SetupResult{}, err
	}
	now := m.now().UTC()
	conn.Provider, conn.Name, conn.Method = plan.Provider.ID(), plan.Name, plan.Method.ID
	conn.Capabilities = plan.Capabilities
	conn.Store = store.Kind()
	conn.CreatedAt, conn.UpdatedAt = now, now

	// From the secret to the metadata, one setup of a connection at a
	// time, so that both always come from the same run.
	var replaced bool
	err = m.Config.WithLock(conn.Key(), func() error {
		cfg, err := m.config().Load()
		if err != nil {
			return err
		}
		var old Connection
		if old, replaced = cfg.Find(conn.Key()); replaced {
			conn.CreatedAt = old.CreatedAt
		}
		if err := store.Save(ctx, conn.Key(), secret); err != nil {
			return fmt.Errorf("storing the credential: %w", err)
		}
		if err := m.config().Update(func(f *ConfigFile) error {
			f.Put(conn)
			f.RemoveDraft(conn.Key())
			return nil
		}); err != nil {
			return err
		}
		if replaced && old.Store != "" && old.Store != conn.Store {
			// The previous secret lives in the other store; remove it there.
			if oldStore, err := m.Store(old.Store); err == nil {
				_ = oldStore.Delete(ctx, conn.Key())
			}
		}
		return nil
	})
	if err != nil {
		return SetupResult{}, err
	}
	res := SetupResult{Connection: conn, Location: store.Location(conn.Key()), Replaced: replaced}
	res.Verification = m.verify(ctx, conn, store, secret, r)
	res.Verification = m.Settle(ctx, plan.Method, res.Verification, r)
	res.Connection = res.Verification.Connection
	return res, nil
}

// Settle waits out a method's consent lag: while a needed permission is
// still missing, it verifies again after each of the method's ConsentLag
// waits, telling r (when it is a Rechecker) before each, and returns the
// last result. A method without consent lag returns res as it is.
func (m *Manager) Settle(ctx context.Context, method Method, res Result, r Reporter) Result {
	for i, d := range method.ConsentLag {
		if res.Verdict() != VerdictMissing || ctx.Err() != nil {
			break
		}
		if rc, ok := r.(Rechecker); ok {
			rc.Recheck(i+1, len(method.ConsentLag), d, res.Summary.Missing)
		}
		if err := m.wait(ctx, d); err != nil {
			break
		}
		res = m.Verify(ctx, res.Connection, r)
	}
	return res
}

func (m *Manager) wait(ctx context.Context, d time.Duration) error {
	if m.Wait != nil {
		return m.Wait(ctx, d)
	}
	return flows.Clock{}.Wait(ctx, d)
}

// Result is the outcome of verifying one connection.
type Result struct {
	Connection Connection
	// Description is how the connection presents itself, with the host
	// its credential was sent to.
	Description Description
	VerifiedAt  time.Time
	Checks      []Check
	Warnings    []string
	Summary     Summary
	// Err is set when the verification could not run at all (no
	// credential, provider unreachable); Checks then holds an Error check
	// for every needed permission.
	Err error
}

// Verdict returns the result's verdict.
func (r Result) Verdict() Verdict { return r.Summary.Verdict() }

// Verify loads conn's secret and verifies it, reporting each check through
// r as it comes, and records the outcome in the metadata.
func (m *Manager) Verify(ctx context.Context, conn Connection, r Reporter) Result {
	res := m.verifyStored(ctx, conn, r)
	if m.Verified != nil {
		m.Verified(conn, res)
	}
	return res
}

func (m *Manager) verifyStored(ctx context.Context, conn Connection, r Reporter) Result {
	if err := m.Config.CheckPrivate(); err != nil {
		return m.failed(conn, r, err)
	}
	store, err := m.Store(conn.Store)
	if err != nil {
		return m.failed(conn, r, err)
	}
	secret, err := store.Load(ctx, conn.Key())
	switch {
	case errors.Is(err, flows.ErrNotFound):
		return m.failed(conn, r, fmt.Errorf("no credential for %s in the %s; run tether setup %s --name %s again", conn.Key(), store.Kind(), conn.Provider, conn.Name))
	case errors.Is(err, flows.ErrCorrupt):
		return m.failed(conn, r, fmt.Errorf("the stored credential for %s is damaged; run tether setup %s --name %s again", conn.Key(), conn.Provider, conn.Name))
	case err != nil:
		return m.failed(conn, r, err)
	}
	return m.verify(ctx, conn, store, secret, r)
}

// VerifyAll verifies conns concurrently. reporter(i) receives the checks
// of conns[i], and done(i, result), if not nil, is called as each ends.
func (m *Manager) VerifyAll(ctx context.Context, conns []Connection, reporter func(i int) Reporter, done func(int, Result)) []Result {
	results := make([]Result, len(conns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = m.Verify(ctx, c, reporter(i))
			if done != nil {
				done(i, results[i])
			}
		}()
	}
	wg.Wait()
	return results
}

// collector keeps what a provider reports and passes it on, until it is
// closed: a provider that reports after its deadline is not heard.
type collector struct {
	mu       sync.Mutex
	next     Reporter
	checks   []Check
	warnings []string
	closed   bool
}

func (c *collector) Check(ch Check) { c.add(ch, false) }

// add records and passes on ch; after close only what the Manager itself
// adds (force) is heard.
func (c *collector) add(ch Check, force bool) {
	// Evidence and fixes quote what the provider answered, and names a
	// tenant's users chose: none of it may drive the admin's terminal.
	ch.Evidence, ch.Fix, ch.FixURL = flows.Printable(ch.Evidence), flows.Printable(ch.Fix), flows.Printable(ch.FixURL)
	ch.License, ch.LicenseURL = flows.Printable(ch.License), flows.Printable(ch.LicenseURL)
	c.mu.Lock()
	if c.closed && !force {
		c.mu.Unlock()
		return
	}
	c.checks = append(c.checks, ch)
	c.mu.Unlock()
	if c.next != nil {
		c.next.Check(ch)
	}
}

func (c *collector) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

func (c *collector) Warn(w string) {
	w = flows.Printable(w)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.warnings = append(c.warnings, w)
	c.mu.Unlock()
	if c.next != nil {
		c.next.Warn(w)
	}
}

// verify runs the provider's verification of conn within the Manager's
// timeout. What the deadline cuts off is an Error check saying so; a
// provider that overruns it is not waited for.
func (m *Manager) verify(ctx context.Context, conn Connection, store flows.Store, secret flows.Secret, r Reporter) Result {
	p, ok := m.Provider(conn.Provider)
	if !ok {
		return m.failed(conn, r, fmt.Errorf("%s: %w", conn.Provider, ErrNotImplemented))
	}
	col := &collector{next: r}
	m.warnExpiry(conn, col)
	vctx, cancel := WithDeadline(ctx, m.timeout())
	defer cancel()
	cred := Credential{Secret: secret, Save: func(ctx context.Context, s flows.Secret) error {
		return m.saveRotated(ctx, store, conn, s)
	}}
	done := make(chan error, 1)
	go func() { done <- safely(func() error { return p.Verify(vctx, conn, cred, col) }) }()
	var err error
	select {
	case err = <-done:
	case <-vctx.Done():
		select {
		case err = <-done: // it noticed in time
		default:
			err = vctx.Err()
		}
	}
	if dl := deadlineErr(vctx); dl != nil && ctx.Err() == nil {
		err = dl
	}
	if err == nil {
		col.warnDrift(conn.LastVerification)
	}
	col.close()
	if err != nil {
		m.fillErrors(conn, col, err)
	}
	return m.record(ctx, conn, col, err)
}

// failed reports a verification that could not start.
func (m *Manager) failed(conn Connection, r Reporter, err error) Result {
	col := &collector{next: r}
	m.fillErrors(conn, col, err)
	return m.record(context.Background(), conn, col, err)
}

// safely runs f, turning a panic into an error, so that a bug in one
// provider ends one verification, not the program (nor leaves a terminal
// in raw mode).
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (please report it)", r)
		}
	}()
	return f()
}

// fillErrors reports an Error check for every needed permission that got
// no check, so that every result accounts for every permission.
func (m *Manager) fillErrors(conn Connection, col *collector, err error) {
	cp, ok := m.Catalog.Provider(conn.Provider)
	if !ok {
		return
	}
	col.mu.Lock()
	done := map[string]bool{}
	for _, c := range col.checks {
		done[c.Permission] = true
	}
	col.mu.Unlock()
	for _, need := range cp.Needs(conn.Capabilities) {
		if done[need.Permission.Name] {
			continue
		}
		evidence, fix := describeFailure(err, conn, cp.Name)
		col.add(Check{Capability: need.Capability, Permission: need.Permission.Name, Status: Error,
			Evidence: evidence, Fix: fix}, true)
	}
}

// describeFailure turns what stopped a verification into the evidence and
// the remedy of its Error checks: the sign-in's own fix when it has one,
// else what to do about that kind of failure.
func describeFailure(err error, conn Connection, provider string) (evidence, fix string) {
	again := "then run tether verify " + conn.Key().String() + " again"
	var si *SignInError
	if errors.As(err, &si) && si.Fix != "" {
		return si.Reason, si.Fix + "; " + again
	}
	a := Answer{Err: err}
	var te *flows.TokenError
	if errors.As(err, &te) {
		a = Answer{Status: te.Status}
	}
	var dl *DeadlineError
	var ne *flows.NetworkError
	var ae *flows.AnswerError
	if errors.As(err, &dl) || errors.As(err, &ne) || errors.As(err, &ae) || te != nil {
		return err.Error(), a.Advice(provider)
	}
	return err.Error(), "fix the error above, " + again
}

func (m *Manager) warnExpiry(conn Connection, r Reporter) {
	if conn.SecretExpiresAt == nil {
		return
	}
	warn := m.ExpiryWarning
	if warn <= 0 {
		warn = DefaultExpiryWarning
	}
	left := conn.SecretExpiresAt.Sub(m.now())
	switch {
	case left <= 0:
		r.Warn(fmt.Sprintf("the secret expired on %s; create a new one and run tether setup %s --name %s", conn.SecretExpiresAt.Format(time.DateOnly), conn.Provider, conn.Name))
	case left < warn:
		r.Warn(fmt.Sprintf("the secret expires in %d days (%s)", DaysLeft(left), conn.SecretExpiresAt.Format(time.DateOnly)))
	}
}

// DefaultExpiryWarning is how long before a secret expires tether starts
// saying so.
const DefaultExpiryWarning = 30 * 24 * time.Hour

// DaysLeft says how many days d lasts, counting a started day: 12 days
// exactly is 12, 11 days and an hour is 12.
func DaysLeft(d time.Duration) int { return int(math.Ceil(d.Hours() / 24)) }

// record turns what was collected into a Result and saves the verdict in
// the connection's metadata. A failure to save is a warning: the checks
// are still right. A cancelled verification reached no verdict of its
// own and is not recorded over the last one.
func (m *Manager) record(ctx context.Context, conn Connection, col *collector, err error) Result {
	col.mu.Lock()
	res := Result{Connection: conn, Description: m.Describe(conn), VerifiedAt: m.now().UTC().Truncate(time.Second), Checks: slices.Clone(col.checks), Warnings: slices.Clone(col.warnings), Err: err}
	col.mu.Unlock()
	sortChecks(m.Catalog, conn, res.Checks)
	res.Summary = Summarize(res.Checks)
	v := &Verification{At: res.VerifiedAt, Verdict: res.Verdict(), Counts: map[Status]int{}, Missing: res.Summary.Missing, Excess: excessOf(res.Checks)}
	for s, n := range res.Summary.Counts {
		v.Counts[s] = n
	}
	res.Connection.LastVerification = v
	if ctx.Err() != nil {
		return res
	}
	uerr := m.config().Update(func(f *ConfigFile) error {
		c, ok := f.Find(conn.Key())
		if !ok {
			return nil
		}
		c.LastVerification = v
		f.Put(c)
		return nil
	})
	if uerr != nil {
		res.Warnings = append(res.Warnings, "could not record the verification: "+uerr.Error())
	}
	return res
}

// sortChecks puts checks in catalog order: needs first, in the order the
// capabilities list them, then excess grants, each group stable.
func sortChecks(cat *catalog.Catalog, conn Connection, checks []Check) {
	order := map[string]int{}
	if cp, ok := cat.Provider(conn.Provider); ok {
		for i, n := range cp.Needs(conn.Capabilities) {
			order[n.Permission.Name] = i
		}
	}
	rank := func(c Check) int {
		if i, ok := order[c.Permission]; ok && c.Status != Excess {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(checks, func(a, b Check) int { return rank(a) - rank(b) })
}

// Connections returns the stored connections that are usable (Records
// says which are not, and why).
func (m *Manager) Connections() ([]Connection, error) {
	f, err := m.Records()
	if err != nil {
		return nil, err
	}
	return f.Connections, nil
}

// Resolve turns PROVIDER[/NAME] references into stored connections; no
// reference means all of them. A record they select that is not usable is
// an error (a *RecordError for each, joined): Select reports those apart.
func (m *Manager) Resolve(refs []string) ([]Connection, error) {
	conns, bad, err := m.Select(refs)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		errs := make([]error, len(bad))
		for i, b := range bad {
			errs[i] = b
		}
		return nil, errors.Join(errs...)
	}
	return conns, nil
}

// Forget deletes a connection's secret from its store, then its metadata.
// When the secret cannot be deleted the metadata is kept, so that nothing
// is left behind that tether no longer knows about.
func (m *Manager) Forget(ctx context.Context, k flows.Key) (Connection, error) {
	conn, err := m.forget(ctx, k)
	if m.Changed != nil {
		m.Changed("forget", k, err)
	}
	return conn, err
}

func (m *Manager) forget(ctx context.Context, k flows.Key) (Connection, error) {
	f, err := m.Records()
	if err != nil {
		return Connection{}, err
	}
	for _, u := range f.Unusable {
		if !u.Draft && u.Key == k {
			return Connection{}, u
		}
	}
	conn, ok := f.Find(k)
	if !ok {
		return Connection{}, Usagef("no connection %s; tether status lists them", k)
	}
	store, err := m.Store(conn.Store)
	if err != nil {
		return conn, err
	}
	return conn, m.Config.WithLock(k, func() error {
		if err := store.Delete(ctx, k); err != nil {
			return fmt.Errorf("deleting the credential of %s: %w", k, err)
		}
		// A setup in progress over this connection may have kept a
		// generated key pair; its draft goes below, so the pair goes too.
		if err := store.Delete(ctx, generatedKey(k)); err != nil {
			return fmt.Errorf("deleting the key pair kept for the setup of %s: %w", k, err)
		}
		return m.config().Update(func(f *ConfigFile) error {
			f.Remove(k)
			f.RemoveDraft(k)
			return nil
		})
	})
}
