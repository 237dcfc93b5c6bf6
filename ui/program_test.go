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
// Auth0 setup against the sandbox, typed in bursts with no pause between
// keys, and keeps the final screen, colours included, as a golden.
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

	// The whole wizard as one burst, as a paste or an SSH connection
	// delivers keys: open Auth0 (the cursor starts on it), then step 1,
	// the method, the console and the four inputs.
	for _, k := range []string{"enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter"} {
		press(k)
	}
	wait("4 granted")
	// Done, saved, and quit from Home, typed ahead too: Home reloads
	// before it takes the q. The renderer writes only the cells that
	// change, so the final model says where the program ended.
	press("enter")
	press("enter")
	press("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if _, ok := fm.Interrupted(); ok {
		t.Error("a finished setup is reported as interrupted")
	}
	golden.RequireEqual(t, []byte(fm.View().Content))
}
