package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetherdev/tether/flows/keyringtest"
	"github.com/tetherdev/tether/providers/auth0/auth0test"
	"github.com/tetherdev/tether/ui/plain"
)

// binary is the tether binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "tether-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "tether")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building tether: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

// exe runs the built binary with env added to a clean environment.
func exe(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=dumb"}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running tether: %v", err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestBinarySandboxOnAFreshHost runs the README's first command on a host
// with no Secret Service: the sandbox keeps its demo credential in its
// encrypted file and everything verifies.
func TestBinarySandboxOnAFreshHost(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 || !strings.Contains(r.stdout, "encrypted file") {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = exe(t, env, "", "--sandbox", "verify", "--json")
	var doc plain.VerifyDocument
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil || !doc.Connections[0].OK {
		t.Fatalf("verify --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	r = exe(t, env, "", "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify", "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"status": "missing"`) {
		t.Errorf("verify with a denial: exit %d\n%s", r.code, r.stdout)
	}
	r = exe(t, env, "", "--sandbox", "--sandbox-deny", "auth0:read:logs", "verify", "auth0/nope")
	if r.code != 2 || !strings.Contains(r.stderr, "no connection auth0/nope") {
		t.Errorf("verify of an unknown connection: exit %d, %s", r.code, r.stderr)
	}
}

// TestBinaryStoresInGnomeKeyring sets up a connection through the real OS
// keyring (gnome-keyring-daemon on a private D-Bus session), reads it back
// with secret-tool, verifies from it, and forgets it completely.
func TestBinaryStoresInGnomeKeyring(t *testing.T) {
	s := keyringtest.Start(t)
	env := append([]string{"TETHER_CONFIG_DIR=" + t.TempDir()}, s.Env...)
	r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input")
	if r.code != 0 || !strings.Contains(r.stdout, `OS keyring · service "tether-sandbox" · account "auth0/default"`) {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := s.Lookup("tether-sandbox", "auth0/default"); !strings.Contains(got, auth0test.DemoClientSecret) {
		t.Errorf("secret-tool lookup service tether-sandbox username auth0/default = %q", got)
	}
	if accounts := s.Accounts("tether-sandbox"); !slices.Equal(accounts, []string{"auth0/default"}) {
		t.Errorf("keyring items = %q, want only auth0/default (the store probe cleans up)", accounts)
	}
	if r := exe(t, env, "", "--sandbox", "verify"); r.code != 0 {
		t.Errorf("verify from the keyring: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := exe(t, env, "", "--sandbox", "status", "--json"); !strings.Contains(r.stdout, `"credential": "keyring: present"`) {
		t.Errorf("status --json:\n%s", r.stdout)
	}
	if r := exe(t, env, "", "--sandbox", "forget", "auth0/default", "--yes"); r.code != 0 {
		t.Fatalf("forget: exit %d %s", r.code, r.stderr)
	}
	if accounts := s.Accounts("tether-sandbox"); len(accounts) != 0 {
		t.Errorf("after forget, keyring items = %q", accounts)
	}
	// Real mode uses the "tether" service, never the sandbox's.
	if accounts := s.Accounts("tether"); len(accounts) != 0 {
		t.Errorf("the sandbox wrote to the real service: %q", accounts)
	}
}

func TestBinaryRefusesUnreachableKeyring(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	r := exe(t, env, "secret-value-xxxxxxxxxxxxxxxxxxxx", "setup", "auth0", "--set", "domain=acme.us.auth0.com",
		"--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--secret-stdin")
	if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 ||
		!strings.Contains(r.stderr, "DBUS_SESSION_BUS_ADDRESS is not set") || !strings.Contains(r.stderr, "--store file") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestBinarySandboxServer runs `tether sandbox --json` and uses what it
// prints, as another client would: trust its CA, call the Auth0 token
// endpoint with the demo credentials, then stop it with SIGTERM.
func TestBinarySandboxServer(t *testing.T) {
	cmd := exec.Command(binary, "sandbox", "--json", "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "TETHER_CONFIG_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var doc sandboxDocument
	if err := json.NewDecoder(out).Decode(&doc); err != nil {
		t.Fatalf("reading the sandbox's JSON: %v", err)
	}
	i := slices.IndexFunc(doc.Emulators, func(e sandboxEndpoint) bool { return e.Provider == "auth0" })
	if i < 0 {
		t.Fatalf("emulators = %+v", doc.Emulators)
	}
	e := doc.Emulators[i]
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(doc.CA)) {
		t.Fatal("the printed CA is not PEM")
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.Demo["client_id"]},
		"client_secret": {e.Demo["client_secret"]}, "audience": {"https://" + e.Demo["domain"] + "/api/v2/"}}
	resp, err := hc.PostForm(e.URL+"/oauth/token", form)
	if err != nil {
		t.Fatalf("token request to the sandbox: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token response %d %+v %v", resp.StatusCode, tok, err)
	}
	if !strings.Contains(tok.Scope, "read:logs_users") {
		t.Errorf("demo scopes = %q", tok.Scope)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the sandbox did not stop cleanly on SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the sandbox did not stop on SIGTERM")
	}
}

// TestBinaryRealModeOnAFreshMachine runs a real-mode setup, as the README
// shows it, on a machine where nothing has created tether's config
// directory yet, storing in a real keyring. The Auth0 emulator stands in
// for the tenant over TLS (trusted through SSL_CERT_FILE, reached as a
// custom domain on loopback).
func TestBinaryRealModeOnAFreshMachine(t *testing.T) {
	s := keyringtest.Start(t)
	srv := httptest.NewTLSServer(auth0test.New(auth0test.Options{Tenants: []auth0test.Tenant{
		auth0test.Demo([]string{"read:users", "read:logs", "read:logs_users", "read:guardian_factors"})}}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	configDir := filepath.Join(t.TempDir(), "not", "made", "yet")
	env := append([]string{"TETHER_CONFIG_DIR=" + configDir, "SSL_CERT_FILE=" + caFile}, s.Env...)
	host := strings.TrimPrefix(srv.URL, "https://")
	r := exe(t, env, auth0test.DemoClientSecret, "setup", "auth0", "--no-input",
		"--set", "domain="+auth0test.DemoDomain, "--set", "client_id="+auth0test.DemoClientID,
		"--set", "custom_domain="+host, "--secret-stdin")
	if r.code != 0 || strings.Count(r.stdout, "✓ granted") != 4 {
		t.Fatalf("setup on a fresh machine: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := s.Lookup("tether", "auth0/default"); !strings.Contains(got, auth0test.DemoClientSecret) {
		t.Errorf("secret-tool lookup service tether username auth0/default = %q", got)
	}
	fi, err := os.Stat(configDir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("config dir: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	// verify names the host the secret goes to: the custom domain.
	if r := exe(t, env, "", "verify"); r.code != 0 || !strings.Contains(r.stdout, "· via "+host+")") {
		t.Errorf("verify: exit %d, want the API host %s named\n%s%s", r.code, host, r.stdout, r.stderr)
	}
}

// TestBinarySandboxListen: the sandbox serves demo tokens, so it listens
// on loopback unless told otherwise, and a bad --listen is a usage error.
func TestBinarySandboxListen(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	for _, tt := range []struct{ listen, want string }{
		{"0.0.0.0:18443", "--allow-remote"},
		{"[::]:18443", "--allow-remote"},
		{"nonsense", "HOST:PORT"},
		{"127.0.0.1:70000", "0 to 65535"},
	} {
		r := exe(t, env, "", "sandbox", "--listen", tt.listen)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("sandbox --listen %s: exit %d, %q; want exit 2 saying %q", tt.listen, r.code, r.stderr, tt.want)
		}
	}
}

// TestBinarySandboxReset: reset forgets the demo tenants' changes, and
// only in the sandbox.
func TestBinarySandboxReset(t *testing.T) {
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir()}
	if r := exe(t, env, "", "--sandbox", "setup", "auth0", "--no-input"); r.code != 0 {
		t.Fatalf("setup: exit %d %s", r.code, r.stderr)
	}
	if r := exe(t, env, "", "--sandbox", "reset"); r.code != 0 || !strings.Contains(r.stdout, "reset the demo tenants of auth0") {
		t.Errorf("reset: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := exe(t, env, "", "reset"); r.code != 2 || !strings.Contains(r.stderr, "--sandbox reset") {
		t.Errorf("reset without --sandbox: exit %d %q", r.code, r.stderr)
	}
}

// TestBinaryNamesTheProxy: when HTTPS_PROXY refuses the CONNECT, the
// error names the proxy (without its credentials), not the tenant, and the
// CONNECT carried tether's User-Agent.
func TestBinaryNamesTheProxy(t *testing.T) {
	agents := make(chan string, 8)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents <- r.Method + " " + r.Header.Get("User-Agent")
		http.Error(w, "blocked by policy", http.StatusForbidden)
	}))
	defer proxy.Close()
	u, _ := url.Parse(proxy.URL)
	u.User = url.UserPassword("proxyuser", "CANARY-proxy-password")
	env := []string{"TETHER_CONFIG_DIR=" + t.TempDir(), "HTTPS_PROXY=" + u.String(), "TETHER_STORE=file", "TETHER_PASSPHRASE=correct horse battery"}
	r := exe(t, env, "secret-value-xxxxxxxxxxxxxxxxxxxxxxxx", "setup", "auth0", "--no-input", "--set", "domain=acme.us.auth0.com",
		"--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--secret-stdin")
	if r.code != 3 || !strings.Contains(r.stderr, "through the proxy "+u.Host) || !strings.Contains(r.stderr, "Forbidden") {
		t.Errorf("setup through a refusing proxy: exit %d, %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "CANARY") || strings.Contains(r.stdout+r.stderr, "proxyuser") {
		t.Errorf("the proxy's credentials were printed: %q", r.stderr)
	}
	select {
	case got := <-agents:
		if !strings.HasPrefix(got, "CONNECT tether/") {
			t.Errorf("the proxy saw %q, want a CONNECT naming tether", got)
		}
	default:
		t.Error("the proxy was never asked")
	}
}

// TestBinaryBlamesAProxyThatDropsOrIsDown: a proxy that closes the
// CONNECT without an answer, or that is not listening, is named as the
// place the request failed, not the tenant.
func TestBinaryBlamesAProxyThatDropsOrIsDown(t *testing.T) {
	dropping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer dropping.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, tt := range []struct{ name, proxy, reason string }{
		{"closes the CONNECT", dropping.URL, "EOF"},
		{"not listening", down.URL, "refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.proxy)
			u.User = url.UserPassword("proxyuser", "CANARY-proxy-password")
			env := []string{"TETHER_CONFIG_DIR=" + t.TempDir(), "HTTPS_PROXY=" + u.String(), "TETHER_STORE=file", "TETHER_PASSPHRASE=correct horse battery"}
			r := exe(t, env, "secret-value-xxxxxxxxxxxxxxxxxxxxxxxx", "setup", "auth0", "--no-input", "--set", "domain=acme.us.auth0.com",
				"--set", "client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "--secret-stdin")
			if r.code != 3 || !strings.Contains(r.stderr, "cannot reach acme.us.auth0.com through the proxy "+u.Host) ||
				!strings.Contains(r.stderr, tt.reason) {
				t.Errorf("setup through a proxy that %s: exit %d, %q", tt.name, r.code, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "CANARY") || strings.Contains(r.stdout+r.stderr, "proxyuser") {
				t.Errorf("the proxy's credentials were printed: %q", r.stderr)
			}
		})
	}
}

// TestBinaryVersion: --version reports the version set at build time, or
// else the revision the toolchain stamped, marked -dirty when the work
// tree had changes; never a placeholder.
func TestBinaryVersion(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "tether-v")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || string(out) != "tether version v9.8.7\n" {
		t.Errorf("--version of a build with -X main.version = %q, %v", out, err)
	}

	// The stamp needs a checkout with a .git directory (the toolchain
	// reads no other kind, not a worktree's .git file): commit this
	// source, as it is, in a repository of its own.
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	if testing.Short() {
		t.Skip("builds a copy of the module")
	}
	clone := filepath.Join(dir, "clone")
	gitIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(git, append([]string{"-c", "user.name=tether test", "-c", "user.email=test@example.invalid", "-C", clone}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	copyModule(t, git, "../..", clone)
	gitIn("init", "--quiet")
	gitIn("add", "--all")
	gitIn("commit", "--quiet", "--no-verify", "--message", "the source under test")
	rev := gitIn("rev-parse", "HEAD")[:12]
	build := func() string {
		t.Helper()
		cmd := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/tether")
		cmd.Dir = clone
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build in the clone: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got, want := build(), "tether version "+rev+"\n"; got != want {
		t.Errorf("--version of a clean checkout = %q, want %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(clone, "CHANGED"), []byte("an uncommitted change\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := build(), "tether version "+rev+"-dirty\n"; got != want {
		t.Errorf("--version of a modified checkout = %q, want %q", got, want)
	}
}

// copyModule copies the module's files, as git lists them (tracked or
// not, but not ignored), from the checkout at src to dst.
func copyModule(t *testing.T, git, src, dst string) {
	t.Helper()
	out, err := exec.Command(git, "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, rel), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
