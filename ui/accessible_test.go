package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// typedLines reads as a terminal in line mode does: one line per Read,
// so that each question gets its own answer.
type typedLines struct {
	mu    sync.Mutex
	lines []string
}

func (t *typedLines) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, t.lines[0]+"\n")
	t.lines = t.lines[1:]
	return n, nil
}

// syncBuffer is a buffer safe to read while the wizard writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoSecretOnly prefills the secrets (a pipe cannot answer a password
// prompt) and leaves the rest to be typed, as on a real tenant.
func demoSecretOnly(deps Deps, keep ...string) func(string) map[string]string {
	return func(p string) map[string]string {
		all := deps.Defaults(p)
		out := map[string]string{"client_secret": all["client_secret"]}
		for _, k := range keep {
			out[k] = all[k]
		}
		return out
	}
}

func TestAccessibleAsksForTheLinksFirstAndKeepsDefaults(t *testing.T) {
	deps, _ := testDeps(t)
	deps.Defaults = demoSecretOnly(deps, "client_id")
	var out syncBuffer
	in := &typedLines{lines: []string{
		"1",                        // client secret
		"tether-demo.us.auth0.com", // asked before the steps
		"",                         // client id: enter keeps the value shown
		"",                         // custom domain: optional
	}}
	res, err := Accessible(context.Background(), deps, AccessibleOptions{In: in, Out: &out, Provider: "auth0"})
	v := out.String()
	if err != nil {
		t.Fatalf("Accessible: %v\n%s", err, v)
	}
	if res.Verification.Verdict() != providers.VerdictOK {
		t.Errorf("verdict = %v", res.Verification.Verdict())
	}
	for _, want := range []string{
		"read:users (collect): Read Users. Purpose: Get a list of Users.",
		"Note: read:user_logs is not an Auth0 scope",
		"Tenant domain, to link the console steps into your tenant",
		"https://manage.auth0.com/dashboard/us/tether-demo/applications",
		"[enter keeps TthrDemoM2MClient0000000000000001]",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("output lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, "Tenant domain, to link") > strings.Index(v, "In the Auth0 console") {
		t.Error("the domain was asked after the console steps")
	}
	if strings.Contains(v, "is required") || strings.Contains(v, "only one option") {
		t.Errorf("an answer was refused or a lone option asked for:\n%s", v)
	}
	if strings.Contains(v, "sandbox-only-demo-secret") {
		t.Error("the secret is in the output")
	}
}

func TestAccessibleDomainCanWait(t *testing.T) {
	deps, _ := testDeps(t)
	deps.Defaults = demoSecretOnly(deps, "client_id")
	var out syncBuffer
	in := &typedLines{lines: []string{"1", "", "tether-demo.us.auth0.com", "", ""}}
	if _, err := Accessible(context.Background(), deps, AccessibleOptions{In: in, Out: &out, Provider: "auth0"}); err != nil {
		t.Fatalf("Accessible: %v\n%s", err, out.String())
	}
	v := out.String()
	steps := v[strings.Index(v, "In the Auth0 console"):]
	if !strings.Contains(steps, "https://manage.auth0.com/\n") || !strings.Contains(steps, "Tenant domain (") {
		t.Errorf("a skipped domain should leave generic links and be asked with the other inputs:\n%s", v)
	}
}

// TestAccessibleInterruptStopsAtOnce: the context ending (ctrl+c) ends a
// question that is waiting for a line that never comes, and the read it
// was blocked in lets go of the terminal: what comes next is not
// swallowed.
func TestAccessibleInterruptStopsAtOnce(t *testing.T) {
	deps, _ := testDeps(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := Accessible(ctx, deps, AccessibleOptions{In: r, Out: &out, Provider: "auth0"})
		done <- err
	}()
	for !strings.Contains(out.String(), "How do you want to connect?") {
		select {
		case err := <-done:
			t.Fatalf("Accessible ended before asking: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("interrupted at a prompt: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt kept waiting after ctrl+c")
	}
	if _, err := w.WriteString("next\n"); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 16)
		n, _ := r.Read(buf)
		got <- string(buf[:n])
	}()
	select {
	case s := <-got:
		if s != "next\n" {
			t.Errorf("read after ctrl+c = %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Error("the interrupted question still reads the terminal")
	}
}

// TestAccessibleOffersTheFileStore: without a usable keyring, the wizard
// says why before asking anything, and goes on with the encrypted file
// store when the admin chooses it.
func TestAccessibleOffersTheFileStore(t *testing.T) {
	deps, _ := testDeps(t)
	noKeyring(&deps)
	var out syncBuffer
	in := &typedLines{lines: []string{"1", "1"}} // the encrypted file; client secret
	res, err := Accessible(context.Background(), deps, AccessibleOptions{In: in, Out: &out, Provider: "auth0"})
	v := out.String()
	if err != nil {
		t.Fatalf("Accessible: %v\n%s", err, v)
	}
	if !strings.Contains(v, "The OS keyring cannot be used: no Secret Service (such as gnome-keyring-daemon) is running") ||
		strings.Index(v, "cannot be used") > strings.Index(v, "what will be granted") {
		t.Errorf("the store problem is not said first:\n%s", v)
	}
	if res.Connection.Store != flows.StoreFile {
		t.Errorf("stored in %q, want the file store", res.Connection.Store)
	}
}

// TestAccessibleSaysItIsStillWaiting: a sign-in whose network does not
// answer says so, line by line, instead of going silent.
func TestAccessibleSaysItIsStillWaiting(t *testing.T) {
	now := fixedNow
	deps := hangingDeps(t, &now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	in := &typedLines{lines: []string{"1"}}
	done := make(chan error, 1)
	go func() {
		_, err := Accessible(ctx, deps, AccessibleOptions{In: in, Out: &out, Provider: "auth0", Every: 5 * time.Millisecond})
		done <- err
	}()
	for !strings.Contains(out.String(), "Still waiting for an answer") {
		select {
		case err := <-done:
			t.Fatalf("Accessible ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "network, DNS or proxy") {
		t.Errorf("the wait does not say what may hold it up:\n%s", out.String())
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after ctrl+c: %v", err)
	}
}
