package ui

import (
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// typeAll delivers every key to Update before any command runs, as a
// burst from a paste or an SSH packet reaches the program, and only then
// runs what the model asked for.
func (d *driver) typeAll(msgs ...tea.Msg) {
	d.t.Helper()
	cmds := d.pending
	d.pending = nil
	for _, msg := range msgs {
		_, cmd := d.m.Update(msg)
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		d.run(cmd)
	}
}

// newBurst starts a model whose Init has been called but whose commands
// (Home's load) have not run yet: typeAll runs them after its keys.
func newBurst(t *testing.T, deps Deps) *driver {
	d := &driver{t: t, m: New(deps, Options{}), late: make(chan tea.Msg, 256)}
	d.m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.pending = append(d.pending, d.m.Init())
	return d
}

// keys turns key names (and "paste:TEXT") into messages.
func keys(names ...string) []tea.Msg {
	var out []tea.Msg
	for _, n := range names {
		if text, ok := strings.CutPrefix(n, "paste:"); ok {
			out = append(out, tea.PasteMsg{Content: text})
			continue
		}
		out = append(out, keyMsg(n))
	}
	return out
}

// chars types s one character at a time.
func chars(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestBurstTypingMatchesSlowTyping types the same keys twice: slowly
// (every command the model asks for runs before the next key) and as one
// burst (every key reaches Update before any command runs, Home's load
// included), and wants the same screen, the same values and the same
// draft. A key typed right after an enter must land on the next field or
// the next step, never on the old one.
func TestBurstTypingMatchesSlowTyping(t *testing.T) {
	tests := []struct {
		name   string
		real   bool // no demo values: the admin types them
		keys   []string
		screen []string
	}{
		{"three enters on step 1 advance three steps", false, []string{"enter", "enter", "enter", "enter"},
			[]string{"step 4 of 5 · credentials"}},
		{"private key JWT chosen by arrow", false, []string{"enter", "enter", "down", "enter", "enter"},
			[]string{"step 4 of 5 · credentials", "Private key (PEM): given"}},
		{"every field typed character by character", true, concat(
			[]string{"enter", "enter", "enter"},
			chars("acme.us.auth0.com"), []string{"enter", "enter"},
			// The domain is kept from the console step and the client id,
			// the first field without a value, has the focus: none of its
			// characters may join the domain.
			chars("2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"), []string{"tab"}, chars("s3cr3t-value-0123456789-abcdefghij"),
		), []string{"step 4 of 5 · credentials", "› 2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "acme.us.auth0.com"}},
		{"a paste then a quick enter", true, []string{"enter", "enter", "enter", "paste:acme.us.auth0.com", "enter", "enter",
			"paste:2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT", "enter"},
			[]string{"step 4 of 5 · credentials", "› 2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT"}},
		{"back and forth", false, []string{"enter", "enter", "enter", "esc", "down", "enter", "esc", "esc", "enter", "enter"},
			[]string{"step 3 of 5 · in the console", "Register your public key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slowDeps, _ := testDeps(t)
			burstDeps, _ := testDeps(t)
			if tt.real {
				slowDeps.Defaults, burstDeps.Defaults = nil, nil
			}
			slow := newDriver(t, slowDeps, Options{})
			slow.wantScreen("not connected")
			for _, k := range keys(tt.keys...) {
				slow.send(k)
			}
			slow.wantScreen(tt.screen...)

			// Home's load and the store check have not run when the keys
			// come: they wait for them, in order.
			burst := newBurst(t, burstDeps)
			burst.typeAll(keys(tt.keys...)...)
			burst.wantScreen(tt.screen...)

			if sv, bv := slow.view(), burst.view(); sv != bv {
				t.Errorf("burst screen differs from slow typing:\n--- slow\n%s\n--- burst\n%s", sv, bv)
			}
			if s, b := slow.m.setup.inputs().Values, burst.m.setup.inputs().Values; !reflect.DeepEqual(s, b) {
				t.Errorf("burst values = %v, slow = %v", b, s)
			}
			if s, b := slow.m.setup.form, burst.m.setup.form; (s == nil) != (b == nil) || s != nil && s.focus != b.focus {
				t.Error("the focused field differs")
			}
		})
	}
}

// TestBurstThroughASetup types a whole setup as one burst: the sign-in
// starts with the values slow typing gives, and the connection is saved.
func TestBurstThroughASetup(t *testing.T) {
	deps, _ := testDeps(t)
	d := newBurst(t, deps)
	d.typeAll(keys("enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter")...)
	d.wantScreen("step 5 of 5 · verified", "4 granted · 0 missing")
	d.typeAll(keys("enter", "enter", "d", "y")...)
	d.wantScreen("forgot auth0/default", "not connected")
}
