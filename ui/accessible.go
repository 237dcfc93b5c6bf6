package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/cancelreader"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

// AccessibleOptions are the streams of an accessible session.
type AccessibleOptions struct {
	In      io.Reader
	Out     io.Writer
	Environ []string
	// Provider to set up; empty asks.
	Provider string
	Name     string
	// Every is how often a sign-in that has not answered says that it
	// is still waiting; 0 means every 10 seconds.
	Every time.Duration
}

// lockedWriter serializes the lines of the questions, the sign-in's
// events and the checks, which come from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cancelable wraps a terminal's input so that ctrl+c also ends the read
// a question is blocked in: left running, it would swallow the
// terminal's answers to whatever writes next (tether's error line asks
// the terminal for its colours). The secret prompts read the terminal
// itself, so the result keeps its file descriptor.
func cancelable(ctx context.Context, in io.Reader) (io.Reader, func()) {
	f, ok := in.(cancelreader.File)
	if !ok {
		return in, func() {}
	}
	cr, err := cancelreader.NewReader(f)
	if err != nil {
		return in, func() {}
	}
	stop := context.AfterFunc(ctx, func() { cr.Cancel() })
	return fdReader{CancelReader: cr, fd: f.Fd()}, func() { stop(); _ = cr.Close() }
}

// fdReader reads through a cancelable reader and names the terminal it
// reads.
type fdReader struct {
	cancelreader.CancelReader
	fd uintptr
}

func (r fdReader) Fd() uintptr { return r.fd }

// accessibleAsker asks huh's accessible questions, one form at a time.
type accessibleAsker struct {
	ctx context.Context
	in  io.Reader
	out io.Writer
}

// ask asks fields line by line. Ctrl+C (the context ending) stops it at
// once: the read of the terminal is cancelled, and the question ends on
// it before ask returns.
func (a accessibleAsker) ask(fields ...huh.Field) error { return a.run(false, fields...) }

// askSecret asks for a secret, which huh reads from the terminal itself
// with its echo off: ctrl+c leaves that read behind and gives the
// terminal its echo back.
func (a accessibleAsker) askSecret(field huh.Field) error { return a.run(true, field) }

func (a accessibleAsker) run(secret bool, fields ...huh.Field) error {
	var restore func()
	if f, ok := a.in.(interface{ Fd() uintptr }); ok && term.IsTerminal(f.Fd()) {
		if st, err := term.GetState(f.Fd()); err == nil {
			restore = func() { _ = term.Restore(f.Fd(), st) }
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithInput(a.in).WithOutput(a.out).Run()
	}()
	select {
	case err := <-done:
		switch {
		case a.ctx.Err() != nil:
			// The read was cancelled with the context: huh took the
			// default for an answer that was never given.
			return a.ctx.Err()
		case errors.Is(err, huh.ErrUserAborted):
			return context.Canceled
		}
		return err
	case <-a.ctx.Done():
		if restore != nil {
			restore()
		}
		if r, cancelable := a.in.(fdReader); cancelable && !secret {
			// End the read (for good: the setup ends with its context),
			// and the question with it, so that nothing reads on.
			r.Cancel()
			<-done
		}
		fmt.Fprintln(a.out)
		return a.ctx.Err()
	}
}

// Accessible runs the setup wizard as a plain sequence of questions and
// answers (huh's accessible mode): nothing is redrawn, every line stays
// where it was written, so screen readers and braille displays follow it.
// It asks the same things as the TUI, in the same order, and prints the
// checks line by line.
func Accessible(ctx context.Context, deps Deps, o AccessibleOptions) (providers.SetupResult, error) {
	out := &lockedWriter{w: colorprofile.NewWriter(o.Out, o.Environ)}
	in, release := cancelable(ctx, o.In)
	defer release()
	q := accessibleAsker{ctx: ctx, in: in, out: out}
	provider := o.Provider
	if provider == "" {
		var options []huh.Option[string]
		for _, cp := range deps.Manager.Catalog.Providers {
			if _, ok := deps.Manager.Provider(cp.ID); ok {
				options = append(options, huh.NewOption(cp.Name, cp.ID))
			}
		}
		if len(options) == 1 {
			provider = options[0].Value
			fmt.Fprintf(out, "Provider: %s (the one tether can connect).\n", options[0].Key)
		} else if err := q.ask(huh.NewSelect[string]().Title("Which provider do you want to connect?").Options(options...).Value(&provider)); err != nil {
			return providers.SetupResult{}, err
		}
	}
	p, cp, err := deps.Manager.Lookup(provider)
	if err != nil {
		return providers.SetupResult{}, err
	}
	name := o.Name
	if name == "" {
		name = "default"
	}
	// The store first, before anything is typed.
	mgr, err := accessibleStore(ctx, q, deps.Manager, out)
	if err != nil {
		return providers.SetupResult{}, err
	}

	fmt.Fprintf(out, "\n%s: what will be granted.\n", cp.Name)
	for _, capa := range cp.Capabilities {
		for _, pname := range capa.Permissions {
			perm, _ := cp.Permission(pname)
			line := fmt.Sprintf("  %s (%s): %s.", perm.Name, capa.ID, strings.TrimSuffix(perm.Description, "."))
			if perm.Purpose != "" {
				line += " Purpose: " + strings.TrimSuffix(perm.Purpose, ".") + "."
			}
			fmt.Fprintln(out, line)
			if perm.Flagged() {
				fmt.Fprintf(out, "    Note: %s\n", perm.Flag)
			}
		}
	}
	var caps []string
	switch opt := cp.Optional(); len(opt) {
	case 0:
	case 1:
		enable := false
		if err := q.ask(huh.NewConfirm().Title("Enable the optional capability " + opt[0].Name + "?").Value(&enable)); err != nil {
			return providers.SetupResult{}, err
		}
		if enable {
			caps = []string{opt[0].ID}
		}
	default:
		options := make([]huh.Option[string], len(opt))
		for i, c := range opt {
			options[i] = huh.NewOption(c.Name, c.ID)
		}
		if err := q.ask(huh.NewMultiSelect[string]().Title("Enable optional capabilities?").Options(options...).Value(&caps)); err != nil {
			return providers.SetupResult{}, err
		}
	}
	fmt.Fprintf(out, "tether will request exactly: %s.\n\n", strings.Join(cp.Scopes(caps), ", "))

	methods := p.Methods()
	methodID := methods[0].ID
	if len(methods) > 1 {
		options := make([]huh.Option[string], len(methods))
		for i, m := range methods {
			options[i] = huh.NewOption(m.Name+": "+m.Summary, m.ID)
		}
		if err := q.ask(huh.NewSelect[string]().Title("How do you want to connect?").Options(options...).Value(&methodID)); err != nil {
			return providers.SetupResult{}, err
		}
	} else {
		fmt.Fprintf(out, "Method: %s (the only one).\n", methods[0].Name)
	}
	method, _ := providers.FindMethod(p, methodID)

	var defaults map[string]string
	if deps.Defaults != nil {
		defaults = deps.Defaults(provider)
	}
	values, secrets := map[string]string{}, map[string]string{}
	for _, in := range method.Inputs {
		if v := defaults[in.Key]; v != "" && !in.Optional {
			if in.Secret {
				secrets[in.Key] = v // the sandbox's demo secret: nothing to ask
			} else {
				values[in.Key] = v
			}
		}
	}
	// What the links are built from comes before the steps, so that they
	// lead into the tenant.
	asked := map[string]bool{}
	for _, in := range providers.LinkInputs(method, providers.StepsOf(p, method)) {
		if values[in.Key] != "" {
			continue // a demo value builds the links; it is confirmed with the rest
		}
		if err := q.ask(accessibleInput(in, values, true)); err != nil {
			return providers.SetupResult{}, err
		}
		asked[in.Key] = values[in.Key] != ""
	}

	fmt.Fprintf(out, "\nIn the %s console:\n", cp.Name)
	fmt.Fprint(out, plain.Steps(p.Steps(method, providers.Inputs{Values: values})))

	for _, in := range method.Inputs {
		switch {
		case asked[in.Key] || secrets[in.Key] != "":
			continue
		case in.Generate != nil:
			// A key pair: tether makes it and shows its public half; a PEM
			// could not be typed line by line into one answer anyway.
			g, err := in.Generate()
			if err != nil {
				return providers.SetupResult{}, err
			}
			fmt.Fprintln(out, "tether generated a key pair; the private key will be kept in "+mgr.StoreKind.Describe()+".")
			for _, a := range g.Show {
				fmt.Fprintf(out, "%s:\n%s\n", a.Label, strings.TrimRight(a.Text, "\n"))
			}
			done := true
			if err := q.ask(huh.NewConfirm().Title("Have you registered this " + g.Noun() + " in the console?").Value(&done)); err != nil {
				return providers.SetupResult{}, err
			}
			secrets[in.Key] = g.Value
			continue
		}
		ask, dst := q.ask, values
		if in.Secret {
			ask, dst = func(fields ...huh.Field) error { return q.askSecret(fields[0]) }, secrets
		}
		if err := ask(accessibleInput(in, dst, false)); err != nil {
			return providers.SetupResult{}, err
		}
	}
	plan, err := mgr.Plan(providers.SetupRequest{Provider: provider, Name: name, Method: methodID, Capabilities: caps,
		Inputs: providers.Inputs{Values: values, Secret: flows.NewSecret(secrets)}})
	if err != nil {
		return providers.SetupResult{}, err
	}
	return accessibleSetup(ctx, q, deps, mgr, plan, o.Every)
}

// accessibleInput asks for one input into dst; skippable lets enter leave
// it for later (what the links are built from, asked before the steps).
func accessibleInput(in providers.Input, dst map[string]string, skippable bool) huh.Field {
	title := in.Label + " (" + in.Help + ")"
	if skippable {
		title = in.Label + ", to link the console steps into your tenant (" + in.Help + "; enter skips it for now)"
	}
	v := dst[in.Key]
	if v != "" {
		title += " [enter keeps " + v + "]"
	}
	f := huh.NewInput().Title(title).Validate(func(s string) error {
		switch s = strings.TrimSpace(s); {
		case s == "" && (in.Optional || skippable || v != ""):
			return nil // enter keeps the value shown, or skips
		case s == "":
			return errors.New(in.Label + " is required")
		case in.Validate != nil:
			return in.Validate(s)
		}
		return nil
	})
	// The typed value, or the one enter keeps.
	f.Accessor(&trimAccessor{dst: dst, key: in.Key, keep: v})
	if in.Secret {
		f = f.EchoMode(huh.EchoModePassword)
	}
	return f
}

// trimAccessor stores a trimmed answer in a map, keeping the old value on
// an empty one.
type trimAccessor struct {
	dst  map[string]string
	key  string
	keep string
}

func (a *trimAccessor) Get() string { return a.keep }
func (a *trimAccessor) Set(s string) {
	if s = strings.TrimSpace(s); s != "" {
		a.dst[a.key] = s
	} else if a.keep == "" {
		delete(a.dst, a.key)
	}
}

// accessibleStore checks the store new credentials go to and, when it
// cannot be used, says why and offers the encrypted file store.
func accessibleStore(ctx context.Context, q accessibleAsker, mgr *providers.Manager, out io.Writer) (*providers.Manager, error) {
	for {
		_, err := mgr.ProbeStore(ctx)
		if err == nil || ctx.Err() != nil {
			return mgr, ctx.Err()
		}
		var unusable *flows.StoreUnavailableError
		if !errors.As(err, &unusable) {
			return nil, err
		}
		fmt.Fprintf(out, "The %s cannot be used: %s.\n", unusable.Store, unusable.Cause)
		options := []huh.Option[string]{huh.NewOption("Check it again", "retry"), huh.NewOption("Stop", "stop")}
		if mgr.StoreKind == flows.StoreKeyring {
			options = slices.Insert(options, 0, huh.NewOption("Keep the credential in an encrypted file instead", "file"))
		}
		choice := options[0].Value
		if err := q.ask(huh.NewSelect[string]().Title("Where should tether keep the credential?").Options(options...).Value(&choice)); err != nil {
			return nil, err
		}
		switch choice {
		case "file":
			m := *mgr
			m.StoreKind = flows.StoreFile
			mgr = &m
		case "stop":
			return nil, err
		}
	}
}

// accessibleSetup signs in and verifies, line by line, saying every so
// often that it still waits for an answer.
func accessibleSetup(ctx context.Context, q accessibleAsker, deps Deps, mgr *providers.Manager, plan providers.Plan, every time.Duration) (providers.SetupResult, error) {
	out := q.out
	if every <= 0 {
		every = 10 * time.Second
	}
	var mu sync.Mutex
	heard := time.Now()
	events := func(e flows.Event) {
		mu.Lock()
		heard = time.Now()
		mu.Unlock()
		if line := plain.EventLine(e); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	stream := plain.NewStream(out, []string{"\nChecking each permission:"}, []int{plain.PermissionWidth(plan.Catalog, plan.Capabilities)})
	askQuestion := func(ctx context.Context, question flows.Question) (int, error) {
		defer func() { mu.Lock(); heard = time.Now(); mu.Unlock() }()
		qa := accessibleAsker{ctx: ctx, in: q.in, out: out}
		if question.YesNo() {
			yes := false
			if err := qa.ask(huh.NewConfirm().Title(question.Prompt).Description(question.Detail).Value(&yes)); err != nil {
				return 0, err
			}
			if yes {
				return 0, nil
			}
			return 1, nil
		}
		choice := 0
		options := make([]huh.Option[int], len(question.Choices))
		for i, c := range question.Choices {
			options[i] = huh.NewOption(c, i)
		}
		err := qa.ask(huh.NewSelect[int]().Title(question.Prompt).Description(question.Detail).Options(options...).Value(&choice))
		return choice, err
	}
	waiting, stop := context.WithCancel(ctx)
	defer stop()
	started := time.Now()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-waiting.Done():
				return
			case now := <-t.C:
				mu.Lock()
				quiet := now.Sub(heard) >= every
				mu.Unlock()
				if quiet {
					fmt.Fprintf(out, "Still waiting for an answer (%s so far); a slow or blocked network, DNS or proxy keeps it from coming.\n",
						now.Sub(started).Round(time.Second))
				}
			}
		}
	}()
	res, err := mgr.Setup(ctx, plan, flows.Interaction{Events: events, Browser: deps.Browser, Ask: askQuestion}, stream.Reporter(0))
	stop()
	if err != nil {
		return res, err
	}
	reverify := "tether verify " + res.Connection.Key().String()
	if deps.Reverify != nil {
		reverify = deps.Reverify(res.Connection)
	}
	stream.Done(0, "", "Saved: "+res.Location+".", "Re-verify with: "+reverify, plain.SummaryLine([]providers.Result{res.Verification}))
	return res, nil
}

// storeWords names a store in a sentence.
func storeWords(kind flows.StoreKind) string {
	if kind == "" {
		return "the credential store"
	}
	return kind.Describe()
}
