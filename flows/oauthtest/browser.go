package oauthtest

import (
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
)

// Browser is a minimal user agent for tests, and a flows.Opener: Open
// loads a page of this emulator (consent, device verification, admin
// consent) and submits its form with Decision, following the redirect to
// the flow's loopback server, in the background as a real browser would.
// Wait returns once every visit is over.
type Browser struct {
	// Decision is "approve" (when empty) or "deny".
	Decision string
	// Client makes the requests; nil means a new client with no cookies.
	Client *http.Client

	mu     sync.Mutex
	wg     sync.WaitGroup
	errs   []error
	visits []Visit
}

// Visit is the last response of one Open. Location is set when the
// client stopped at a redirect (see http.Client.CheckRedirect).
type Visit struct {
	URL      string
	Status   int
	Location string
	Body     string
}

// Open visits u in the background and returns at once.
func (b *Browser) Open(u string) error {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		v, err := b.visit(u)
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			b.errs = append(b.errs, err)
			return
		}
		b.visits = append(b.visits, v)
	}()
	return nil
}

// Wait waits for the visits under way and returns their errors.
func (b *Browser) Wait() ([]Visit, error) {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Visit(nil), b.visits...), errors.Join(b.errs...)
}

var (
	formPattern  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	inputPattern = regexp.MustCompile(`<input [^>]*name="([^"]+)" value="([^"]*)"`)
)

func (b *Browser) visit(u string) (Visit, error) {
	hc := b.Client
	if hc == nil {
		hc = &http.Client{}
	}
	resp, err := hc.Get(u)
	if err != nil {
		return Visit{}, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formPattern.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return Visit{}, fmt.Errorf("oauthtest.Browser: %s answered %d without a form: %.300s", u, resp.StatusCode, body)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return Visit{}, err
	}
	f := url.Values{}
	for _, in := range inputPattern.FindAllSubmatch(body, -1) {
		f.Set(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
	}
	decision := b.Decision
	if decision == "" {
		decision = "approve"
	}
	f.Set("decision", decision)
	resp, err = hc.PostForm(action.String(), f)
	if err != nil {
		return Visit{}, err
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return Visit{URL: resp.Request.URL.String(), Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}, nil
}
