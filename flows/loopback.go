package flows

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tetherdev/tether/assets"
)

// Loopback says where a browser sign-in receives its redirect: an HTTP
// server on this machine's loopback interface (RFC 8252 §7.3), never on
// another interface.
type Loopback struct {
	// Host is the redirect URI's host: "127.0.0.1" (the default, as RFC
	// 8252 §8.3 recommends) or "localhost" for providers that register
	// only that (Microsoft Entra). The server listens on 127.0.0.1, and
	// also on [::1] for "localhost", which a browser may resolve to either.
	Host string
	// Port is a fixed port for providers that match redirect URIs
	// exactly (Salesforce's 1717); 0 picks a free port, as RFC 8252 §7.3
	// lets a client do.
	Port int
	// Path is the redirect URI's path; "" means "/".
	Path string
	// Timeout bounds the wait for the redirect; 0 means 10 minutes.
	Timeout time.Duration
}

func (l Loopback) timeout() time.Duration {
	if l.Timeout > 0 {
		return l.Timeout
	}
	return 10 * time.Minute
}

// RedirectRejected says that a redirect, or a request to the loopback
// server, was refused and the sign-in goes on waiting (or, after it
// ended, that a later one was refused). Reason never quotes the request.
type RedirectRejected struct{ Reason string }

func (RedirectRejected) event() {}

// loopbackServer receives one redirect. Its handler does the checks that
// need the connection (remote address, Host header) and hands every
// request for the redirect path to await, which alone decides.
type loopbackServer struct {
	redirectURI string
	port        string
	path        string
	srv         *http.Server
	calls       chan callback
	done        chan struct{} // closed when await returns
	wg          sync.WaitGroup
}

// callback is a redirect, from the browser or pasted. reply receives the
// page to show, and is nil for a pasted one; rejected is set when the
// transport checks refused it.
type callback struct {
	query    url.Values
	rejected string
	reply    chan page
}

func (cb callback) respond(p page) {
	if cb.reply != nil {
		cb.reply <- p // buffered
	}
}

type page struct {
	ok      bool
	status  int
	title   string
	message string
}

func failure(status int, title, message string) page {
	return page{status: status, title: title, message: message}
}

// listenLoopback starts the redirect server. It never listens on all
// interfaces: only 127.0.0.1, and [::1] too when the redirect names
// localhost.
func listenLoopback(cfg Loopback) (*loopbackServer, error) {
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if host != "127.0.0.1" && host != "localhost" {
		return nil, fmt.Errorf("the redirect host must be 127.0.0.1 or localhost, not %q", host)
	}
	path := cfg.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		if cfg.Port != 0 {
			return nil, &PortBusyError{Port: cfg.Port, Err: err}
		}
		return nil, fmt.Errorf("cannot listen on the loopback address for the sign-in: %w", err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	lns := []net.Listener{ln}
	if host == "localhost" {
		if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", port)); err == nil {
			lns = append(lns, ln6)
		}
	}
	s := &loopbackServer{
		redirectURI: "http://" + net.JoinHostPort(host, port) + path,
		port:        port,
		path:        path,
		calls:       make(chan callback),
		done:        make(chan struct{}),
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	for _, l := range lns {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); _ = s.srv.Serve(l) }()
	}
	return s, nil
}

// PortBusyError means that the fixed loopback port a provider's app
// registration names cannot be listened on here.
type PortBusyError struct {
	Port int
	Err  error
}

func (e *PortBusyError) Error() string {
	return fmt.Sprintf("cannot receive the sign-in on port %d, which the provider expects: %v (close what uses it and try again)", e.Port, e.Err)
}

func (e *PortBusyError) Unwrap() error { return e.Err }

// pasteOnlyLoopback is a loopback "server" that listens nowhere: the
// redirect to cfg's fixed port can only come back pasted. It serves a
// sign-in whose browser is on another machine (an SSH session's client),
// where this machine's port is of no use and another session may hold it.
func pasteOnlyLoopback(cfg Loopback) *loopbackServer {
	host, path := cfg.Host, cfg.Path
	if host == "" {
		host = "127.0.0.1"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	port := strconv.Itoa(cfg.Port)
	return &loopbackServer{redirectURI: "http://" + net.JoinHostPort(host, port) + path, port: port, path: path,
		calls: make(chan callback), done: make(chan struct{}), srv: &http.Server{}}
}

// close stops the server after the requests under way have their page.
func (s *loopbackServer) close() {
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	s.wg.Wait()
}

// ServeHTTP implements http.Handler.
func (s *loopbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cb := callback{reply: make(chan page, 1)}
	if cb.rejected = s.refuse(r); cb.rejected == "" {
		if r.URL.Path != s.path {
			http.NotFound(w, r) // a favicon, say: nothing to report
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writePage(w, failure(http.StatusMethodNotAllowed, "Request refused", "The sign-in redirect must be a GET request."))
			return
		}
		cb.query = r.URL.Query()
	}
	if !s.deliver(r.Context(), cb) {
		if cb.rejected != "" {
			writePage(w, refused)
			return
		}
		writePage(w, alreadyFinished)
		return
	}
	select {
	case p := <-cb.reply:
		writePage(w, p)
	case <-r.Context().Done():
	}
}

// The pages of refused requests.
var (
	refused         = failure(http.StatusForbidden, "Request refused", "tether accepts the sign-in only from this machine.")
	alreadyFinished = failure(http.StatusConflict, "Sign-in already finished",
		"This sign-in has already received its redirect; this one was ignored. Start a new sign-in if you need one.")
)

// refuse returns why a request may not reach the flow: it must come from
// this machine, and name a loopback host in its Host header, so that a web
// page cannot drive the server through DNS rebinding.
func (s *loopbackServer) refuse(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Sprintf("a request from %s, which is not this machine, was refused", host)
	}
	h, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != s.port || !isLoopbackHost(h) {
		return "a request naming another host than this machine's loopback address was refused (possible DNS rebinding)"
	}
	return ""
}

// deliver hands cb to await; it reports false when the flow is over.
func (s *loopbackServer) deliver(ctx context.Context, cb callback) bool {
	select {
	case s.calls <- cb:
		return true
	case <-s.done:
	case <-ctx.Done():
	}
	return false
}

// parsePasted reads a redirect URL pasted by the admin. The reason never
// quotes the text, which may hold a code.
func (s *loopbackServer) parsePasted(text string) (url.Values, string) {
	u, err := url.Parse(strings.TrimSpace(text))
	if err != nil || u.RawQuery == "" {
		return nil, "the pasted text is not the redirect URL: paste the whole address from the browser's address bar, starting with " + s.redirectURI
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	if u.Scheme != "http" || !isLoopbackHost(u.Hostname()) || u.Port() != s.port || path != s.path {
		return nil, "the pasted URL is not this sign-in's redirect: it should start with " + s.redirectURI
	}
	return u.Query(), ""
}

// errLoopbackTimeout marks the expiry of await's own deadline.
var errLoopbackTimeout = errors.New("loopback timeout")

// await opens authURL and waits for the redirect carrying state, on the
// loopback server or pasted on in.Paste. Redirects with another state are
// refused and reported, and the wait goes on: they come from a stale tab
// or a forgery, and must not end the admin's sign-in. The first redirect
// with the right state is handed to accept, and ends the wait: later ones
// are refused. accept runs while await keeps answering, and its error
// shows on the failure page.
func (s *loopbackServer) await(ctx context.Context, in Interaction, clock Clock, timeout time.Duration,
	authURL, state string, accept func(context.Context, url.Values) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errLoopbackTimeout)
	defer cancel()
	opened, browserFailed := openBrowser(in.Events, in.Browser, authURL)
	expires := clock.now().Add(timeout)
	in.Events.Emit(AwaitingRedirect{URL: authURL, RedirectURI: s.redirectURI,
		Paste: !opened && in.Paste != nil, ExpiresAt: expires})

	paste := in.Paste
	var (
		result  chan error // set once a redirect was accepted
		pending callback   // the accepted redirect, waiting for its page
	)
	for {
		var cb callback
		select {
		case <-ctx.Done():
			if result != nil {
				<-result // accept sees ctx too, and returns
			}
			if context.Cause(ctx) == errLoopbackTimeout {
				in.Events.Emit(Expired{})
				pending.respond(failure(http.StatusGatewayTimeout, "Sign-in timed out", "tether stopped waiting for this sign-in."))
				return &TimeoutError{Op: "the browser sign-in", After: timeout.String()}
			}
			pending.respond(failure(http.StatusServiceUnavailable, "Sign-in cancelled", "The sign-in was cancelled in tether."))
			return ctx.Err()
		case err := <-result:
			if err != nil {
				pending.respond(failure(http.StatusBadRequest, "Sign-in failed", explain(err)))
				return err
			}
			pending.respond(page{ok: true, status: http.StatusOK, title: "Signed in", message: "tether received the sign-in."})
			return nil
		case err, ok := <-browserFailed:
			// The browser started, then failed: the admin opens the page
			// themselves, and may paste the redirect.
			browserFailed = nil
			if ok && result == nil {
				in.Events.Emit(BrowserUnavailable{URL: authURL, Reason: err.Error()})
				in.Events.Emit(AwaitingRedirect{URL: authURL, RedirectURI: s.redirectURI, Paste: in.Paste != nil, ExpiresAt: expires})
			}
			continue
		case cb = <-s.calls:
		case text, ok := <-paste:
			if !ok {
				paste = nil
				continue
			}
			cb.query, cb.rejected = s.parsePasted(text)
		}
		switch {
		case cb.rejected != "":
			in.Events.Emit(RedirectRejected{Reason: cb.rejected})
			cb.respond(refused)
			continue
		case result != nil:
			in.Events.Emit(RedirectRejected{Reason: "a second redirect arrived after the sign-in had received its own; it was refused"})
			cb.respond(alreadyFinished)
			continue
		case subtle.ConstantTimeCompare([]byte(cb.query.Get("state")), []byte(state)) != 1:
			in.Events.Emit(RedirectRejected{Reason: "a redirect with a state that is not this sign-in's arrived (from an old browser tab, or forged); it was refused"})
			cb.respond(failure(http.StatusBadRequest, "Not this sign-in",
				"This page belongs to another sign-in, perhaps an older one. Use the browser window tether opened last."))
			continue
		}
		in.Events.Emit(RedirectReceived{})
		pending = cb
		result = make(chan error, 1)
		go func() { result <- accept(ctx, cb.query) }()
	}
}

// explain is the sentence the failure page shows for err.
func explain(err error) string {
	var ae *AuthorizationError
	if errors.As(err, &ae) {
		return ae.Explanation + "."
	}
	return "tether could not complete the sign-in: " + err.Error() + "."
}

var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(assets.Loopback, "loopback/*.html"))
})

func writePage(w http.ResponseWriter, p page) {
	name := "failure.html"
	if p.ok {
		name = "success.html"
	}
	var b bytes.Buffer
	if err := pages().ExecuteTemplate(&b, name, struct{ Title, Message string }{p.title, p.message}); err != nil {
		http.Error(w, p.title, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.status)
	_, _ = w.Write(b.Bytes())
}
