package ui

import (
	"context"
	"flag"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/providers/auth0"
	"github.com/tetherdev/tether/providers/registry"
	"github.com/tetherdev/tether/providers/sandbox"
)

var _ = flag.Bool // golden registers -update

// fixedNow is the clock of every test, so that views are stable.
var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// testDeps builds a sandbox-backed Manager in a temporary config dir, with
// the encrypted file store (no keyring in unit tests).
func testDeps(t *testing.T, deny ...string) (Deps, *sandbox.Sandbox) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	denied, err := sandbox.ParseDeny(cat, deny)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(cat, sandbox.Options{Dir: dir, Deny: denied, Emulators: registry.Emulators(registry.Entries)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	a0, err := auth0.New(cat, providers.Env{HTTP: sb.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	store, err := flows.OpenFileStoreWithIdentity(filepath.Join(dir, "credentials"), filepath.Join(dir, "id.txt"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := fixedLocation{store}
	mgr := &providers.Manager{Catalog: cat, Providers: []providers.Provider{a0}, Config: providers.Config{Dir: dir},
		Store:     func(flows.StoreKind) (flows.Store, error) { return fixed, nil },
		StoreKind: flows.StoreFile, Now: func() time.Time { return fixedNow }}
	return Deps{Manager: mgr, Sandbox: true, Now: func() time.Time { return fixedNow },
		Defaults:   sb.Defaults,
		SandboxFix: func(p, perm string) error { return sb.Grant(cat, p, perm) },
		Reverify:   func(c providers.Connection) string { return "tether --sandbox verify " + c.Key().String() },
		Context:    context.Background()}, sb
}

// registered builds a registered provider on the sandbox's client, for a
// test that adds it to testDeps' Manager, which has Auth0 only.
func registered(t *testing.T, deps Deps, sb *sandbox.Sandbox, id string) providers.Provider {
	t.Helper()
	i := slices.IndexFunc(registry.Entries, func(e registry.Entry) bool { return e.ID == id })
	if i < 0 {
		t.Fatalf("no registered provider %q", id)
	}
	p, err := registry.Entries[i].New(deps.Manager.Catalog, providers.Env{HTTP: sb.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fixedLocation names where secrets go without the temporary path, so
// that goldens are stable.
type fixedLocation struct{ flows.Store }

func (f fixedLocation) Location(k flows.Key) string {
	return "encrypted file $TETHER_CONFIG_DIR/sandbox/credentials/" + k.String() + ".age"
}

// driver runs a model without a terminal: it executes commands and feeds
// their messages back, except timer ticks (spinners, cursor blinks,
// countdowns), so that a view depends only on what happened, never on
// timing. A command that does not answer at once (a job's wait on the
// network) delivers later; wantScreen processes those until the screen
// shows what it wants.
type driver struct {
	t    *testing.T
	m    *Model
	late chan tea.Msg
	// pending are commands not run yet (a burst's).
	pending []tea.Cmd
	// copied holds what the model sent to the clipboard, in order.
	copied []string
}

func newDriver(t *testing.T, deps Deps, opts Options) *driver {
	d := &driver{t: t, m: New(deps, opts), late: make(chan tea.Msg, 256)}
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.send(tea.BackgroundColorMsg{Color: color.Black})
	d.run(d.m.Init())
	return d
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

func (d *driver) key(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: rune(k[0]), Text: k}
}

// timer reports messages of timers, which the driver drops.
func timer(msg tea.Msg) bool {
	switch msg.(type) {
	case spinner.TickMsg, recheckTickMsg, elapsedMsg:
		return true
	}
	return strings.HasSuffix(reflect.TypeOf(msg).PkgPath(), "bubbles/v2/cursor")
}

// run executes cmd and what follows from it.
func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 5000 {
			d.t.Fatal("the model never settled")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		select {
		case msg := <-ch:
			queue = append(queue, d.handle(msg)...)
		case <-time.After(50 * time.Millisecond):
			go func() { d.late <- <-ch }()
		}
	}
}

// handle feeds one message to the model and returns the commands it gave.
func (d *driver) handle(msg tea.Msg) []tea.Cmd {
	if msg == nil || timer(msg) {
		return nil
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		return batch
	}
	if t := reflect.TypeOf(msg); t.Name() == "setClipboardMsg" && t.Kind() == reflect.String {
		d.copied = append(d.copied, reflect.ValueOf(msg).String()) // tea.SetClipboard's message
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		var cmds []tea.Cmd // tea.Sequence's message
		for i := range v.Len() {
			cmds = append(cmds, v.Index(i).Interface().(tea.Cmd))
		}
		return cmds
	}
	_, next := d.m.Update(msg)
	return []tea.Cmd{next}
}

func (d *driver) view() string {
	return ansi.Strip(d.m.View().Content)
}

// golden compares the screen with testdata/<test>.golden (go test ./ui -update rewrites).
func (d *driver) golden() {
	d.t.Helper()
	golden.RequireEqual(d.t, []byte(d.view()))
}

// wantScreen waits, processing late messages, until the screen shows
// every want.
func (d *driver) wantScreen(wants ...string) {
	d.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		v, missing := d.view(), ""
		// A sentence may be wrapped over lines: it matches with its
		// words in order, whatever space is between them.
		flat := strings.Join(strings.Fields(v), " ")
		for _, w := range wants {
			if !strings.Contains(v, w) && !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case msg := <-d.late:
			for _, c := range d.handle(msg) {
				d.run(c)
			}
		case <-deadline:
			d.t.Fatalf("screen lacks %q:\n%s", missing, v)
		}
	}
}

func TestMain(m *testing.M) {
	os.Setenv("TERM", "xterm-256color")
	os.Exit(m.Run())
}

func (d *driver) paste(s string) { d.send(tea.PasteMsg{Content: s}) }

// noKeyring makes the Manager's store for new credentials an OS keyring
// that cannot be used, as on a host without a Secret Service, with the
// encrypted file store still there to choose.
func noKeyring(deps *Deps) {
	mgr := *deps.Manager
	file, _ := mgr.Store(flows.StoreFile)
	mgr.StoreKind = flows.StoreKeyring
	mgr.Store = func(k flows.StoreKind) (flows.Store, error) {
		if k == flows.StoreKeyring {
			return brokenKeyring{}, nil
		}
		return file, nil
	}
	deps.Manager = &mgr
}

// brokenKeyring fails as the keyring does without a Secret Service.
type brokenKeyring struct{}

var errNoSecretService = &flows.StoreUnavailableError{Store: "OS keyring",
	Cause: "no Secret Service (such as gnome-keyring-daemon) is running on the D-Bus session bus",
	Fixes: []string{"start a Secret Service such as gnome-keyring-daemon in a D-Bus session (and unlock it)",
		"pass --store file (or set TETHER_STORE=file) to keep credentials in an age-encrypted file"}}

func (brokenKeyring) Kind() flows.StoreKind                   { return flows.StoreKeyring }
func (brokenKeyring) Probe(context.Context) error             { return errNoSecretService }
func (brokenKeyring) Delete(context.Context, flows.Key) error { return errNoSecretService }
func (brokenKeyring) Location(k flows.Key) string {
	return "OS keyring · service \"tether\" · account " + k.String()
}
func (brokenKeyring) Save(context.Context, flows.Key, flows.Secret) error {
	return errNoSecretService
}
func (brokenKeyring) Load(context.Context, flows.Key) (flows.Secret, error) {
	return flows.Secret{}, errNoSecretService
}

// eventually processes late messages until cond holds: a write the model
// asked for (a draft) may land after the screen moved on.
func (d *driver) eventually(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(15 * time.Second)
	for !cond() {
		select {
		case msg := <-d.late:
			for _, c := range d.handle(msg) {
				d.run(c)
			}
		case <-time.After(10 * time.Millisecond): // a write outside the model: look again
		case <-deadline:
			d.t.Fatalf("never: %s", what)
		}
	}
}

// draftOf returns the draft on disk for provider/name.
func draftOf(t *testing.T, deps Deps, provider, name string) (providers.Draft, bool) {
	t.Helper()
	f, err := deps.Manager.Config.Load()
	if err != nil {
		t.Fatal(err)
	}
	return f.Draft(flowsKey(provider, name))
}

// connected sets up auth0/default in the sandbox and returns on Home,
// with the connection verified.
func connected(t *testing.T, deps Deps) *driver {
	t.Helper()
	d := newDriver(t, deps, Options{Setup: "auth0"})
	d.key("enter", "enter", "enter", "enter", "enter", "enter", "enter")
	// The checks come from the network: an admin sees them before saying
	// done, and so does the test.
	d.wantScreen("4 granted")
	d.key("enter", "enter")
	d.wantScreen("✓ 4/4 verified")
	return d
}
