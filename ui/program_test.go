package ui

import (
	"bytes"
	"image/color"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestProgramFullSetup runs the wizard as a real Bubble Tea program
// (teatest, 80x24, a fixed colour profile and environment) through a whole
// Auth0 setup against the sandbox, and keeps the final screen, colours
// included, as a golden.
func TestProgramFullSetup(t *testing.T) {
	deps, _ := testDeps(t)
	tm := teatest.NewTestModel(t, New(deps, Options{}), teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(
			tea.WithColorProfile(colorprofile.TrueColor),
			tea.WithEnvironment([]string{"TERM=xterm-256color"}),
		))
	tm.Send(tea.BackgroundColorMsg{Color: color.Black})
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
			teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	press := func(k string) { tm.Send(keyMsg(k)) }

	wait("not connected")
	press("down")
	press("down")
	press("down")
	press("enter")
	wait("what will be granted")
	press("enter")
	wait("how to connect")
	press("enter")
	wait("in the console")
	press("enter")
	wait("credentials")
	for range 4 {
		press("enter")
		time.Sleep(50 * time.Millisecond) // let huh move focus before the next key
	}
	wait("4 granted")
	// The renderer writes only the cells that change, so later screens
	// are not searched for in the output; the final model says where the
	// program ended.
	press("enter")
	time.Sleep(200 * time.Millisecond)
	press("enter")
	time.Sleep(200 * time.Millisecond)
	press("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	golden.RequireEqual(t, []byte(fm.View().Content))
}
