package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui"
)

// tuiDeps wires the TUI to this process: the Manager, the sandbox's
// conveniences, and a browser on this machine.
func tuiDeps(ctx context.Context, a *app) (ui.Deps, error) {
	m, err := a.managerFor(true)
	if err != nil {
		return ui.Deps{}, err
	}
	deps := ui.Deps{Manager: m, Sandbox: a.sandbox, Context: ctx, Browser: a.opener(),
		Reverify: func(c providers.Connection) string { return reverifyCommand(a, c) }}
	if a.sandbox {
		deps.Defaults = a.sandboxDefaults
		deps.SandboxFix = func(provider, permission string) error {
			a.mu.Lock()
			sb := a.sb
			a.mu.Unlock()
			return sb.Grant(m.Catalog, provider, permission)
		}
	}
	return deps, nil
}

// sandboxAdminDelay is how long the sandbox's demo admin takes to approve
// a sign-in in the wizard, so that the admin sees the code or the link
// before it is used.
const sandboxAdminDelay = 1500 * time.Millisecond

// runTUI runs the wizard on the terminal until the admin quits.
func runTUI(ctx context.Context, a *app, opts ui.Options) error {
	a.adminDelay = sandboxAdminDelay
	deps, err := tuiDeps(ctx, a)
	if err != nil {
		return err
	}
	progOpts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(a.ios.In), tea.WithOutput(a.ios.Out),
		tea.WithEnvironment(a.ios.Environ)}
	if a.ios.NoColor {
		progOpts = append(progOpts, tea.WithColorProfile(colorprofile.Ascii))
	}
	p := tea.NewProgram(ui.New(deps, opts), progOpts...)
	a.mu.Lock()
	a.notify = func(msg string) { p.Send(ui.Notice(msg)) }
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.notify = nil
		a.mu.Unlock()
	}()
	final, err := p.Run()
	if errors.Is(err, tea.ErrInterrupted) || errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return context.Canceled
	}
	if err != nil {
		return err
	}
	if m, ok := final.(*ui.Model); ok {
		if stop, ok := m.Interrupted(); ok {
			// The screen is gone: say on stderr what was kept and how to
			// go on, then exit as interrupted.
			fmt.Fprintf(a.ios.Stderr(), "tether: setup of %s interrupted at %s; what you typed is kept (no secret is); resume with: %s\n",
				stop.Key, stop.Step, resumeCommand(a, stop.Key))
			return &silentError{context.Canceled}
		}
	}
	return nil
}

// resumeCommand is the command that resumes the setup of k.
func resumeCommand(a *app, k flows.Key) string {
	cmd := "tether "
	if a.sandbox {
		cmd += "--sandbox "
	}
	cmd += "setup " + k.Provider
	if k.Name != "default" {
		cmd += " --name " + k.Name
	}
	return cmd
}

// runAccessible runs the wizard as line-by-line questions.
func runAccessible(ctx context.Context, a *app, provider, name string) error {
	a.adminDelay = sandboxAdminDelay
	deps, err := tuiDeps(ctx, a)
	if err != nil {
		return err
	}
	res, err := ui.Accessible(ctx, deps, ui.AccessibleOptions{In: a.ios.In, Out: a.ios.Out, Environ: a.ios.Environ,
		Provider: provider, Name: name})
	if err != nil {
		return err
	}
	if v := res.Verification.Verdict(); v != providers.VerdictOK {
		return &silentError{&providers.VerdictError{Verdict: v}}
	}
	return nil
}
