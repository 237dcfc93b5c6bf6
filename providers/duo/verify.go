package duo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
)

// The Admin API grants, as the catalog and the integration flags name
// them (§2.5, duo_client_python admin.py create_integration).
const (
	grantReadLog       = "adminapi_read_log"
	grantReadResource  = "adminapi_read_resource"
	grantWriteResource = "adminapi_write_resource"
	grantInfo          = "adminapi_info"
	grantSettings      = "adminapi_settings"
	grantAdmins        = "adminapi_admins"
)

// grantProbe is a signed GET that needs exactly one grant (§2.6): 200
// proves it, 403 40301 proves it missing.
type grantProbe struct {
	id, grant string
	// query builds the path and query at time now (the log window moves).
	query func(now time.Time) string
	// fallback, when set, is another request that needs the same grant,
	// asked when query is rate-limited: Duo limits each log to a couple
	// of requests a minute, each on its own (§2.4).
	fallback func(now time.Time) string
}

// required are the probes of the grants a capability may need. The
// authentication-log window ends two minutes ago (Duo delays the log by
// two minutes) and spans an hour, well inside the 180 days Duo allows.
var required = []grantProbe{
	{id: "log", grant: grantReadLog, query: func(now time.Time) string {
		return "/admin/v2/logs/authentication?" + url.Values{
			"limit":   {"1"},
			"mintime": {strconv.FormatInt(now.Add(-time.Hour-2*time.Minute).UnixMilli(), 10)},
			"maxtime": {strconv.FormatInt(now.Add(-2*time.Minute).UnixMilli(), 10)},
		}.Encode()
	}, fallback: func(now time.Time) string {
		return "/admin/v1/logs/administrator?mintime=" + strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	}},
	{id: "resource", grant: grantReadResource, query: func(time.Time) string { return "/admin/v1/users?limit=1&offset=0" }},
}

// excessProbes read what no capability needs, to show a grant that is
// ticked without need; each is a read without side effects.
var excessProbes = []struct {
	grantProbe
	name string
}{
	{grantProbe{id: "info", grant: grantInfo, query: func(time.Time) string { return "/admin/v1/info/summary" }}, "Grant read information"},
	{grantProbe{id: "settings", grant: grantSettings, query: func(time.Time) string { return "/admin/v1/settings" }}, "Grant settings"},
	{grantProbe{id: "admins", grant: grantAdmins, query: func(time.Time) string { return "/admin/v1/admins?limit=1&offset=0" }}, "Grant administrators"},
}

// writeUnknown is why Grant write resource is not probed.
const writeUnknown = "no Admin API request proves Grant write resource without changing something: Duo checks it only on writes, " +
	"and whether it checks it before validating a write's parameters is undocumented, so tether makes no write"

// unseen says which grants no side-effect-free request can show, when no
// enabled capability needs them (Grant applications never is; whether
// reading integrations needs it or Grant read resource is undocumented).
func unseen(writeNeeded bool, page string) string {
	if writeNeeded {
		return "Grant applications cannot be seen without a write: leave it unticked on " + page
	}
	return "Grant write resource and Grant applications cannot be seen without a write: leave them unticked on " + page +
		" unless you enable Reset Factors, which needs write resource"
}

// session is one verification's signed requests and what their answers
// said of the clocks.
type session struct {
	acct account
	pr   *providers.Prober
	once *providers.Prober // pr with a single attempt
	now  func() time.Time

	mu     sync.Mutex
	offset map[string]clockOffset // by Answer.Request
	// drift is the largest offset of an answer Duo did not refuse for
	// its Date: a clock drifting towards Duo's limit.
	drift time.Duration
}

// clockOffset is how far Duo's clock (its answer's Date) was ahead of
// this machine's when the answer arrived.
type clockOffset struct {
	d     time.Duration
	known bool
}

func (p *Provider) session(a account, skey string, warn func(string)) *session {
	s := &session{acct: a, now: p.env.Clock.Time, offset: map[string]clockOffset{}}
	s.pr = &providers.Prober{Provider: "Duo", Env: p.env, DecodeError: decodeError, Warn: warn,
		Authorize: signer{ikey: a.ikey, skey: skey, now: p.env.Clock.Time}.sign,
		Backoff:   duoBackoff}
	once := *s.pr
	once.Attempts, once.Warn = 1, nil
	s.once = &once
	return s
}

// duoBackoff is the official clients' wait before retry n+1 of a 429: 1 s
// doubling to 32 s (duo_api_golang initialBackoffMS, maxBackoffMS).
func duoBackoff(n int) time.Duration { return time.Second << min(n, 5) }

// get makes one signed GET, with the prober's retries.
func (s *session) get(ctx context.Context, pathAndQuery string) providers.Answer {
	return s.record(s.pr.Get(ctx, s.acct.url(pathAndQuery)))
}

// probe asks gp's request, and when Duo rate-limits it asks the
// fallback instead: Duo's 429s have no Retry-After, and a log's limit is
// a minute away, so waiting out its backoff would prove nothing sooner.
func (s *session) probe(ctx context.Context, gp grantProbe) providers.Answer {
	now := s.now()
	if gp.fallback == nil {
		return s.get(ctx, gp.query(now))
	}
	a := s.record(s.once.Get(ctx, s.acct.url(gp.query(now))))
	switch {
	case a.Err == nil && a.Status == http.StatusTooManyRequests:
		if s.pr.Warn != nil {
			s.pr.Warn("Duo rate-limited " + a.Request + "; asking " + requestPath(gp.fallback(now)) + " instead, which needs the same grant")
		}
		b := s.get(ctx, gp.fallback(now))
		b.Notes = append([]string{"asked since " + a.String() + " (rate-limited)"}, b.Notes...)
		return b
	case a.Err != nil || a.Status >= 500:
		return s.get(ctx, gp.query(now)) // with the retries the first attempt had not
	}
	return a
}

// requestPath is the path of a path and query.
func requestPath(pathAndQuery string) string {
	p, _, _ := strings.Cut(pathAndQuery, "?")
	return p
}

// record notes the clock offset an answer shows.
func (s *session) record(a providers.Answer) providers.Answer {
	o := clockOffset{}
	if at, err := http.ParseTime(a.Header.Get("Date")); err == nil {
		o = clockOffset{d: at.Sub(s.now().Truncate(time.Second)), known: true}
	}
	s.mu.Lock()
	s.offset[a.Request] = o
	if o.known && a.Status != http.StatusUnauthorized && o.d.Abs() > s.drift.Abs() {
		s.drift = o.d
	}
	s.mu.Unlock()
	return a
}

// warnDrift warns of a clock that Duo still accepts but that is a
// minute or more off its own.
func (s *session) warnDrift(r providers.Reporter) {
	s.mu.Lock()
	d := s.drift
	s.mu.Unlock()
	if d.Abs() >= skewLimit {
		r.Warn(fmt.Sprintf("this machine's clock is %s %s Duo's: Duo refuses requests whose Date is a few minutes off, so turn on NTP (timedatectl set-ntp true)",
			d.Abs().Round(time.Second), aheadOrBehind(d)))
	}
}

// aheadOrBehind says where this machine's clock is, for an offset of
// Duo's clock ahead of it.
func aheadOrBehind(d time.Duration) string {
	if d < 0 {
		return "ahead of"
	}
	return "behind"
}

func (s *session) offsetOf(a providers.Answer) clockOffset {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset[a.Request]
}

// decodeError reads Duo's failure envelope {"stat":"FAIL","code":40301,
// "message":…,"message_detail":…}; the code may be a number or a string,
// possibly empty (duo_api_golang StatResult.SyncCode).
func decodeError(_ int, body []byte) (code, message string) {
	var env struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Detail  string          `json:"message_detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	var n json.Number
	var str string
	switch {
	case json.Unmarshal(env.Code, &n) == nil:
		code = n.String()
	case json.Unmarshal(env.Code, &str) == nil:
		code = strings.TrimSpace(str)
	}
	message = env.Message
	if env.Detail != "" {
		message += " (" + env.Detail + ")"
	}
	return code, message
}

// statOK reports whether a 2xx body is Duo's success envelope.
func statOK(body []byte) bool {
	var env struct {
		Stat     string          `json:"stat"`
		Response json.RawMessage `json:"response"`
	}
	return json.Unmarshal(body, &env) == nil && env.Stat == "OK" && len(env.Response) > 0
}

// accessForbidden reports Duo's answer to a request the application's
// grants do not allow: 403 with code 40301.
func accessForbidden(a providers.Answer) bool {
	return a.Err == nil && a.Status == http.StatusForbidden && a.Code == "40301"
}

// skewLimit is the clock offset above which a refused request is put
// down to the clock. Duo's window is undocumented (a third party says
// five minutes), so a refusal with an offset of a minute or more is
// already explained by it.
const skewLimit = time.Minute

// observe decides one grant from its probe's answer. It is pure; the
// table in verify_internal_test.go is its specification.
//
//   - write resource is never probed: unknown, with why.
//   - 200 with Duo's OK envelope proves the grant; 403 40301 disproves it.
//   - a 401 is no verdict, explained (clock skew with the offset, wrong
//     secret key, wrong integration key or host, stale date).
//   - anything else is no verdict.
func observe(grant string, a providers.Answer, off clockOffset, acct account) providers.Observation {
	o := providers.Observation{Identifier: grant, Evidence: a.String()}
	switch {
	case grant == grantWriteResource:
		o.Status, o.Evidence = providers.Unknown, writeUnknown
	case a.OK() && statOK(a.Body):
		o.Status = providers.Granted
	case a.OK():
		o.Status, o.Evidence = providers.Error, a.String()+": the body is not Duo's {\"stat\":\"OK\",\"response\":…} envelope"
		o.Advice = "Duo sent an answer tether cannot use; verify again, and if it persists check Duo's status page"
	case accessForbidden(a):
		o.Status = providers.Missing
		o.Evidence += " Access forbidden"
	case a.Err == nil && a.Status == http.StatusUnauthorized:
		reason, fix := diagnose(a, off, acct)
		o.Status, o.Evidence, o.Advice = providers.Error, a.String()+": "+reason, fix
	case unresolved(a.Err):
		o.Status, o.Advice = providers.Error, wrongHost(acct)
	default:
		o.Status = providers.Error
	}
	return o
}

// unresolved reports whether err is a host name that does not resolve:
// with Duo, a mistyped API hostname.
func unresolved(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

func wrongHost(acct account) string {
	return acct.host + " does not resolve: check the API hostname on the Admin API application's page (it is api- and eight letters and digits), and run tether setup duo again"
}

// diagnose explains a 401 from Duo: each cause its own sentence, and the
// clock measured against the Date of Duo's answer.
func diagnose(a providers.Answer, off clockOffset, acct account) (reason, fix string) {
	skewed := off.known && (off.d >= skewLimit || off.d <= -skewLimit)
	setup := "run tether setup duo again with the keys from " + acct.appPage()
	switch {
	case (a.Code == "40105" || a.Code == "40103") && skewed:
		side := aheadOrBehind(off.d)
		return fmt.Sprintf("clock skew: this machine's clock is %s %s Duo's (Duo's answer is dated %s), so Duo refused the request's Date",
				off.d.Abs().Round(time.Second), side, a.Header.Get("Date")),
			"set this machine's clock right (turn on NTP, for example timedatectl set-ntp true), then verify again"
	case a.Code == "40105" && off.known:
		return fmt.Sprintf("Duo refused the request's Date as stale, although this machine's clock agrees with Duo's within %s", skewLimit),
			"something between tether and Duo holds or replays requests (a proxy); verify again, and check the proxy"
	case a.Code == "40105":
		return "Duo refused the request's Date, and its answer has no Date to measure this machine's clock against",
			"check this machine's clock (turn on NTP), then verify again"
	case a.Code == "40103":
		return "Duo rejected the signature: the secret key is not the one of integration key " + acct.ikey,
			"copy the secret key again (a reset secret key replaces the old one) and " + setup
	case a.Code == "40102":
		return "Duo does not know integration key " + acct.ikey + " at " + acct.host,
			"check the integration key and the API hostname, which are on the same Admin API application's page (keys of an Auth API or Web SDK application are refused the same way); " + setup
	case a.Code == "40101":
		return "Duo found no credentials in the request",
			"something between tether and Duo (a proxy) removes the Authorization header; let it through, then verify again"
	}
	return "Duo refused the credentials", "check the keys and the API hostname; " + setup
}

// probeTable turns required into the kit's table, run through s.
func probeTable(s *session) []providers.Probe {
	var table []providers.Probe
	for _, gp := range required {
		table = append(table, providers.Probe{ID: gp.id, Decides: []string{gp.grant},
			Run: func(ctx context.Context, _ map[string]providers.Answer) providers.Answer {
				return s.probe(ctx, gp)
			}})
	}
	return table
}

// Verify runs a signed probe per grant, concurrently, beside reads of the
// grants no capability needs, to show the excess ones.
func (p *Provider) Verify(ctx context.Context, conn providers.Connection, cred providers.Credential, r providers.Reporter) error {
	a, err := accountOf(conn.Settings)
	if err != nil {
		return err
	}
	skey := strings.TrimSpace(cred.Secret.Get(InputSecretKey))
	if err := validSecretKey(skey); err != nil {
		return &providers.UsageError{Msg: "the stored secret key is not one: " + err.Error() + "; run tether setup duo again"}
	}
	s := p.session(a, skey, r.Warn)
	v := providers.Verifier{
		Provider: "Duo", Needs: p.cat.Needs(conn.Capabilities), Probes: probeTable(s), Sequential: p.env.Sequential,
		Observe: func(grant string, ans providers.Answer) providers.Observation {
			return observe(grant, ans, s.offsetOf(ans), a)
		},
		Fix: func(n catalog.Need) (string, string) { return fixFor(n, a), a.appPage() },
	}
	excess := func() { p.excess(ctx, s, conn.Capabilities, r) }
	defer s.warnDrift(r)
	if p.env.Sequential {
		v.Run(ctx, r)
		excess()
		return nil
	}
	var wg sync.WaitGroup
	wg.Go(excess)
	v.Run(ctx, r)
	wg.Wait()
	return nil
}

// excess reads what no capability needs and reports each grant that
// answers as an excess check; those no read can show are named.
func (p *Provider) excess(ctx context.Context, s *session, enabled []string, r providers.Reporter) {
	r.Warn(unseen(slices.Contains(p.cat.Scopes(enabled), grantWriteResource), s.acct.appPage()))
	var wg sync.WaitGroup
	for _, ep := range excessProbes {
		run := func() {
			ans := s.get(ctx, ep.query(s.now()))
			switch {
			case ans.OK() && statOK(ans.Body):
				r.Check(providers.Check{Permission: ep.name, Status: providers.Excess,
					Evidence: ans.String() + ": " + ep.name + " is ticked, and no enabled capability needs it",
					Fix:      "untick " + ep.name + " on the application's page and Save Changes (least privilege)", FixURL: s.acct.appPage()})
			case accessForbidden(ans), ans.Err == nil && ans.Status == http.StatusUnauthorized:
				// Not ticked; or the credential was refused, which the
				// needed grants' checks explain.
			default:
				r.Warn("could not tell whether " + ep.name + " is ticked (" + ans.String() + ")")
			}
		}
		if p.env.Sequential {
			run()
			continue
		}
		wg.Go(run)
	}
	wg.Wait()
}

// CriticalPath is the round trips a verification cannot avoid: Duo has no
// sign-in, so it is the probe table's depth.
func (p *Provider) CriticalPath(providers.Connection) int {
	return providers.Depth(probeTable(&session{}))
}

func fixFor(n catalog.Need, a account) string {
	if slices.Contains(n.Permission.Identifiers(), grantWriteResource) {
		return fmt.Sprintf("confirm on the page of Admin API application %s that %s is ticked under Permissions; if not, tick it and Save Changes", a.ikey, n.Permission.Name)
	}
	return fmt.Sprintf("on the page of Admin API application %s, tick %s under Permissions, then Save Changes", a.ikey, n.Permission.Name)
}

// authenticate makes one signed request, to learn whether Duo accepts
// the keys: any answer but a 401 means the signature verified (Duo checks
// grants after it, so 403 40301 is an acceptance too).
func (p *Provider) authenticate(ctx context.Context, a account, skey string) error {
	s := p.session(a, skey, nil)
	ans := s.get(ctx, required[1].query(s.now()))
	switch {
	case ans.OK(), accessForbidden(ans):
		return nil
	case ans.Err == nil && ans.Status == http.StatusUnauthorized:
		reason, fix := diagnose(ans, s.offsetOf(ans), a)
		return &providers.SignInError{Reason: reason + " (" + ans.String() + ")", Fix: fix}
	case unresolved(ans.Err):
		return &providers.SignInError{Reason: "the API hostname " + a.host + " does not resolve", Fix: wrongHost(a), Err: ans.Err}
	case ans.Err != nil:
		return fmt.Errorf("a signed request to %s: %w", a.host, ans.Err)
	}
	return &providers.SignInError{Reason: "Duo answered the signed request " + ans.String() + " " + ans.Message,
		Fix: ans.Advice("Duo")}
}
