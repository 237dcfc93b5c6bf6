package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"

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
}

// Accessible runs the setup wizard as a plain sequence of questions and
// answers (huh's accessible mode): nothing is redrawn, every line stays
// where it was written, so screen readers and braille displays follow it.
// It asks the same things as the TUI, in the same order, and prints the
// checks line by line.
func Accessible(ctx context.Context, deps Deps, o AccessibleOptions) (providers.SetupResult, error) {
	mgr := deps.Manager
	out := colorprofile.NewWriter(o.Out, o.Environ)
	ask := func(fields ...huh.Field) error {
		err := huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithInput(o.In).WithOutput(out).RunWithContext(ctx)
		if errors.Is(err, huh.ErrUserAborted) {
			return context.Canceled
		}
		return err
	}
	provider := o.Provider
	if provider == "" {
		var options []huh.Option[string]
		for _, cp := range mgr.Catalog.Providers {
			if _, ok := mgr.Provider(cp.ID); ok {
				options = append(options, huh.NewOption(cp.Name, cp.ID))
			}
		}
		if err := ask(huh.NewSelect[string]().Title("Which provider do you want to connect?").Options(options...).Value(&provider)); err != nil {
			return providers.SetupResult{}, err
		}
	}
	p, cp, err := mgr.Lookup(provider)
	if err != nil {
		return providers.SetupResult{}, err
	}
	name := o.Name
	if name == "" {
		name = "default"
	}

	fmt.Fprintf(out, "\n%s: what will be granted.\n", cp.Name)
	for _, capa := range cp.Capabilities {
		for _, pname := range capa.Permissions {
			perm, _ := cp.Permission(pname)
			fmt.Fprintf(out, "  %s: %s. %s %s\n", capa.ID, perm.Name, perm.Description, perm.Purpose)
		}
	}
	var caps []string
	if opt := cp.Optional(); len(opt) > 0 {
		options := make([]huh.Option[string], len(opt))
		for i, c := range opt {
			options[i] = huh.NewOption(c.Name, c.ID)
		}
		if err := ask(huh.NewMultiSelect[string]().Title("Enable optional capabilities?").Options(options...).Value(&caps)); err != nil {
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
		if err := ask(huh.NewSelect[string]().Title("How do you want to connect?").Options(options...).Value(&methodID)); err != nil {
			return providers.SetupResult{}, err
		}
	}
	method, _ := providers.FindMethod(p, methodID)

	fmt.Fprintf(out, "\nIn the %s console:\n", cp.Name)
	fmt.Fprint(out, plain.Steps(p.Steps(method, providers.Inputs{})))

	var defaults map[string]string
	if deps.Defaults != nil {
		defaults = deps.Defaults(provider)
	}
	values, secrets := map[string]string{}, map[string]string{}
	for _, in := range method.Inputs {
		v := ""
		if !in.Optional {
			v = defaults[in.Key]
		}
		if in.Secret && v != "" {
			secrets[in.Key] = v // the sandbox's demo secret: nothing to ask
			continue
		}
		if in.Generate != nil {
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
			if err := ask(huh.NewConfirm().Title("Have you registered this public key in the console?").Value(&done)); err != nil {
				return providers.SetupResult{}, err
			}
			secrets[in.Key] = g.Value
			continue
		}
		title := in.Label + " (" + in.Help + ")"
		if v != "" {
			title += " [enter keeps " + v + "]"
		}
		f := huh.NewInput().Title(title).Value(&v).Validate(func(s string) error {
			switch s = strings.TrimSpace(s); {
			case s == "" && in.Optional:
				return nil
			case s == "":
				return errors.New(in.Label + " is required")
			case in.Validate != nil:
				return in.Validate(s)
			}
			return nil
		})
		if in.Secret {
			f = f.EchoMode(huh.EchoModePassword)
		}
		if err := ask(f); err != nil {
			return providers.SetupResult{}, err
		}
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if in.Secret {
			secrets[in.Key] = v
		} else {
			values[in.Key] = v
		}
	}
	plan, err := mgr.Plan(providers.SetupRequest{Provider: provider, Name: name, Method: methodID, Capabilities: caps,
		Inputs: providers.Inputs{Values: values, Secret: flows.NewSecret(secrets)}})
	if err != nil {
		return providers.SetupResult{}, err
	}
	events := func(e flows.Event) {
		if line := plain.EventLine(e); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	stream := plain.NewStream(out, []string{"\nChecking each permission:"}, []int{plain.PermissionWidth(cp, plan.Capabilities)})
	askQuestion := func(ctx context.Context, q flows.Question) (int, error) {
		if q.YesNo() {
			yes := false
			if err := ask(huh.NewConfirm().Title(q.Prompt).Description(q.Detail).Value(&yes)); err != nil {
				return 0, err
			}
			if yes {
				return 0, nil
			}
			return 1, nil
		}
		choice := 0
		options := make([]huh.Option[int], len(q.Choices))
		for i, c := range q.Choices {
			options[i] = huh.NewOption(c, i)
		}
		err := ask(huh.NewSelect[int]().Title(q.Prompt).Description(q.Detail).Options(options...).Value(&choice))
		return choice, err
	}
	res, err := mgr.Setup(ctx, plan, flows.Interaction{Events: events, Browser: deps.Browser, Ask: askQuestion}, stream.Reporter(0))
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
