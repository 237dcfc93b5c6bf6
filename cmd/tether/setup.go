package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui"
	"github.com/tetherdev/tether/ui/plain"
)

type setupOptions struct {
	provider     string
	name         string
	method       string
	capabilities []string
	set          []string
	secretStdin  bool
	noInput      bool
	yes          bool
	replace      bool
}

func newSetupCmd(a *app) *cobra.Command {
	opts := &setupOptions{}
	cmd := &cobra.Command{
		Use:   "setup PROVIDER",
		Short: "Connect a provider: sign in, store the credential, verify every permission",
		Long: `Connect a provider: what to grant, where to create it in the provider's console,
the sign-in, and a check of every permission the enabled capabilities need.

Inputs come from --set KEY=VALUE, secrets from stdin with --secret-stdin (never
from the command line). On a terminal, tether asks for what is missing; without
one, or with --no-input, a missing input is an error naming the flag to pass.
In --sandbox mode every input defaults to the demo tenant's value.

A connection is PROVIDER/NAME (--name, "default" by default). Setting up a
name that exists replaces it: on a terminal tether asks first; without one it
refuses unless --replace is given. tether setup PROVIDER --help lists the
provider's methods and their inputs.`,
		Example: `  tether --sandbox setup auth0
  tether setup auth0 --name prod --set domain=acme.us.auth0.com --set client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT --secret-stdin < secret.txt
  tether setup auth0 --method private-key-jwt --set domain=acme.us.auth0.com --set client_id=2iZo3Uczt5LFHacKdM0zzgUO2eG2uDjT --secret-stdin < key.pem
  tether setup auth0 --help`,
		Args: oneArg(func() string {
			return "the provider to connect, one of: " + strings.Join(a.implementedIDs(), ", ") + " (like tether setup " + firstOr(a.implementedIDs(), "PROVIDER") + ")"
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.provider = providerID(args[0])
			return setupRun(cmd.Context(), a, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.name, "name", "default", "a name for this connection, to keep several per provider")
	f.StringVar(&opts.method, "method", "", "how to connect (tether setup PROVIDER --help lists the methods); the first by default")
	f.StringSliceVar(&opts.capabilities, "with", nil, "optional capabilities to enable, as `CAP[,CAP]` (tether catalog PROVIDER lists them)")
	f.StringArrayVar(&opts.set, "set", nil, "an input, as `KEY=VALUE` (repeatable)")
	f.BoolVar(&opts.secretStdin, "secret-stdin", false, "read the method's secret (client secret, private key, token) from stdin")
	f.BoolVar(&opts.noInput, "no-input", false, "never prompt; fail on a missing input instead")
	f.BoolVarP(&opts.yes, "yes", "y", false, "answer yes when the setup asks to go on (creating an app in the tenant, say)")
	f.BoolVar(&opts.replace, "replace", false, "replace the connection of that name if it exists (without it, tether asks on a terminal and refuses elsewhere)")
	f.DurationVar(&a.timeout, "timeout", providers.DefaultTimeout, "how long verifying one connection may take; past it, what is undecided is an error")
	setupCompletions(a, cmd)
	return cmd
}

func setupRun(ctx context.Context, a *app, opts *setupOptions) error {
	// Asked for line-by-line questions, or on a terminal with nothing given
	// on the command line: the wizard.
	if a.accessible && a.ios.CanPrompt() && !opts.noInput && !opts.secretStdin && len(opts.set) == 0 {
		m, err := a.managerFor(false)
		if err != nil {
			return err
		}
		if err := confirmReplace(ctx, a, m, opts); err != nil {
			return err
		}
		return runAccessible(ctx, a, opts.provider, opts.name)
	}
	if a.ios.IsStdinTTY() && !a.accessibleMode() && a.ios.IsStdoutTTY() && !opts.noInput && !opts.secretStdin && len(opts.set) == 0 && opts.method == "" && len(opts.capabilities) == 0 {
		return runTUI(ctx, a, ui.Options{Setup: opts.provider, Name: opts.name})
	}
	m, err := a.managerFor(true)
	if err != nil {
		return err
	}
	// Before the admin types a secret for nothing.
	if err := m.CheckConfig(); err != nil {
		return err
	}
	p, cp, err := m.Lookup(opts.provider)
	if err != nil {
		return err
	}
	method, err := providers.FindMethod(p, opts.method)
	if err != nil {
		return err
	}
	if err := flows.ValidName(opts.name); err != nil {
		return &providers.UsageError{Msg: err.Error()}
	}
	if _, err := cp.Normalize(opts.capabilities); err != nil {
		return &providers.UsageError{Msg: err.Error()}
	}
	if err := confirmReplace(ctx, a, m, opts); err != nil {
		return err
	}
	in, err := collectInputs(a, opts, method, func(in providers.Inputs) []providers.Step { return p.Steps(method, in) })
	if err != nil {
		return err
	}
	plan, err := m.Plan(providers.SetupRequest{Provider: opts.provider, Name: opts.name, Method: method.ID,
		Capabilities: opts.capabilities, Inputs: in})
	if err != nil {
		return err
	}

	// Progress is for people watching; a script's stderr gets only what
	// the admin must act on (a code to enter, a link to open) and errors.
	stderr := a.ios.Stderr()
	paste := make(chan string, 1)
	interaction := flows.Interaction{Browser: a.opener(), Paste: paste, Ask: plain.Asker(a.ios, opts.yes, opts.noInput)}
	interaction.Events = func(e flows.Event) {
		if _, ok := e.(flows.Progress); ok && !a.ios.IsStderrTTY() {
			return
		}
		if line := plain.EventLine(e); line != "" {
			fmt.Fprintln(stderr, line)
		}
		if aw, ok := e.(flows.AwaitingRedirect); ok && aw.Paste && a.ios.CanPrompt() {
			go readPasted(a, paste)
		}
	}
	draft := providers.Connection{Provider: p.ID(), Name: opts.name, Method: method.ID, Settings: plan.Inputs.Values}
	header := plain.Header(draft, m.Describe(draft), method.Name)
	stream := plain.NewStream(a.ios.Stdout(), []string{header}, []int{plain.PermissionWidth(cp, plan.Capabilities)})
	res, err := m.Setup(ctx, plan, interaction, stream.Reporter(0))
	if err != nil {
		return ctxErr(ctx, err)
	}
	verb := "saved"
	if res.Replaced {
		verb = "replaced"
	}
	stream.Done(0,
		"",
		fmt.Sprintf("%-10s %s", verb, res.Location),
		fmt.Sprintf("%-10s %s", "re-verify", reverifyCommand(a, res.Connection)),
		plain.SummaryLine([]providers.Result{res.Verification}))
	if v := res.Verification.Verdict(); v != providers.VerdictOK {
		return &silentError{&providers.VerdictError{Verdict: v}}
	}
	return nil
}

// confirmReplace makes sure that a setup over an existing connection is
// meant, before anything is asked or typed: --replace says so; on a
// terminal the admin is asked; elsewhere it is an error naming both ways
// on (--replace, or another --name).
func confirmReplace(ctx context.Context, a *app, m *providers.Manager, opts *setupOptions) error {
	if opts.replace {
		return nil
	}
	conns, err := m.Connections()
	if err != nil {
		return err
	}
	k := flows.Key{Provider: opts.provider, Name: opts.name}
	i := slices.IndexFunc(conns, func(c providers.Connection) bool { return c.Key() == k })
	if i < 0 {
		return nil
	}
	existing := fmt.Sprintf("%s already exists (tenant %s, %s)", k, conns[i].Tenant, lastVerified(conns[i], time.Now()))
	if opts.noInput || !a.ios.CanPrompt() {
		return providers.Usagef("%s: pass --replace to replace it, or --name NAME to add another connection", existing)
	}
	q := flows.Question{Prompt: "Replace " + k.String() + "?",
		Detail: existing + "; its credential is replaced once the new one is stored. --name NAME adds another connection instead."}
	answer, err := plain.Asker(a.ios, false, opts.noInput)(ctx, q)
	if err != nil {
		return err
	}
	if answer != 0 {
		return fmt.Errorf("%s is kept as it was (--name NAME adds another connection): %w", k, flows.ErrDeclined)
	}
	return nil
}

// firstOr returns the first of ss, or def when there is none.
func firstOr(ss []string, def string) string {
	if len(ss) == 0 {
		return def
	}
	return ss[0]
}

// readPasted passes the redirect URL the admin pastes on stdin to the flow.
func readPasted(a *app, paste chan<- string) {
	line, err := a.ios.Lines().ReadString('\n')
	if err == nil || line != "" {
		paste <- strings.TrimSpace(line)
	}
}

func reverifyCommand(a *app, c providers.Connection) string {
	cmd := "tether verify " + c.Key().String()
	if a.sandbox {
		cmd = "tether --sandbox verify " + c.Key().String()
	}
	return cmd
}

// collectInputs gathers the method's inputs: --set, the secret from
// stdin, the sandbox's demo values, and, on a terminal, prompts for the
// rest. Secrets are refused on the command line, where shells and process
// lists would keep them.
func collectInputs(a *app, opts *setupOptions, m providers.Method, steps func(providers.Inputs) []providers.Step) (providers.Inputs, error) {
	values := map[string]string{}
	secrets := map[string]string{}
	for _, kv := range opts.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return providers.Inputs{}, &flagError{err: fmt.Errorf("--set %q: want KEY=VALUE, like domain=acme.us.auth0.com", kv)}
		}
		in, ok := m.Input(k)
		if ok && in.Secret {
			return providers.Inputs{}, providers.Usagef("%s is a secret: pass it on stdin with --secret-stdin, not with --set, where the shell history and the process list would keep it", k)
		}
		if ok && v != "" && in.Validate != nil {
			if err := in.Validate(v); err != nil {
				return providers.Inputs{}, &providers.InputError{Key: k, Label: in.Label, Err: err}
			}
		}
		values[k] = v
	}
	if opts.secretStdin {
		if a.ios.IsStdinTTY() {
			// Typed here it would echo, and nothing says when it ends.
			return providers.Inputs{}, providers.Usagef("--secret-stdin reads a pipe, not a terminal: pipe the secret in (< secret.txt), or leave the flag out and tether asks for it without echo")
		}
		secretInputs := m.SecretInputs()
		if len(secretInputs) != 1 {
			return providers.Inputs{}, providers.Usagef("method %s takes no secret on stdin", m.ID)
		}
		data, err := io.ReadAll(io.LimitReader(a.ios.In, 1<<20))
		if err != nil {
			return providers.Inputs{}, fmt.Errorf("reading the secret from stdin: %w", err)
		}
		s := string(data)
		if !secretInputs[0].Multiline {
			s = strings.TrimSpace(s)
		}
		if strings.TrimSpace(s) == "" {
			return providers.Inputs{}, providers.Usagef("--secret-stdin: stdin was empty; pipe the %s into tether", strings.ToLower(secretInputs[0].Label))
		}
		secrets[secretInputs[0].Key] = s
	}
	if a.sandbox {
		demo := a.sandboxDefaults(opts.provider)
		for _, in := range m.Inputs {
			dst := values
			if in.Secret {
				dst = secrets
			}
			if _, given := dst[in.Key]; !given && demo[in.Key] != "" && !in.Optional {
				dst[in.Key] = demo[in.Key]
			}
		}
	}
	if opts.noInput || !a.ios.CanPrompt() {
		if err := missingInputs(m, values, secrets); err != nil {
			return providers.Inputs{}, err
		}
	}
	var prompter *plain.Prompter
	stepsShown := false
	showSteps := func() {
		if !stepsShown {
			stepsShown = true
			fmt.Fprint(a.ios.Stderr(), plain.Steps(steps(providers.Inputs{Values: values})))
		}
	}
	// What the console links are built from is asked first, so that the
	// steps shown lead into the tenant.
	links := providers.LinkInputs(m, steps)
	inputs := append(slices.Clone(links), slices.DeleteFunc(slices.Clone(m.Inputs), func(in providers.Input) bool {
		return slices.ContainsFunc(links, func(l providers.Input) bool { return l.Key == in.Key })
	})...)
	for _, in := range inputs {
		if in.Optional || values[in.Key] != "" || secrets[in.Key] != "" {
			continue
		}
		if in.Generate != nil && !opts.noInput && a.ios.CanPrompt() {
			showSteps()
			v, err := generateInput(a, in)
			if err != nil {
				return providers.Inputs{}, err
			}
			secrets[in.Key] = v
			continue
		}
		if prompter == nil {
			prompter = plain.NewPrompter(a.ios)
		}
		if !slices.ContainsFunc(links, func(l providers.Input) bool { return l.Key == in.Key }) {
			showSteps()
		}
		v, err := prompter.Ask(in)
		if err != nil {
			return providers.Inputs{}, err
		}
		if in.Secret {
			secrets[in.Key] = v
		} else {
			values[in.Key] = v
		}
	}
	return providers.Inputs{Values: maps.Clone(values), Secret: flows.NewSecret(secrets)}, nil
}

// generateInput has tether make a value (a key pair), shows the admin
// what to register, and waits until they have.
func generateInput(a *app, in providers.Input) (string, error) {
	g, err := in.Generate()
	if err != nil {
		return "", err
	}
	w := a.ios.Stderr()
	kind, err := a.storeKind()
	if err != nil {
		return "", err
	}
	fmt.Fprintln(w, "tether generated a key pair; the private key will be kept in "+kind.Describe()+".")
	for _, art := range g.Show {
		fmt.Fprintf(w, "%s:\n%s\n", art.Label, strings.TrimRight(art.Text, "\n"))
	}
	fmt.Fprint(w, "Register it in the console as the steps above say, then press enter: ")
	if _, err := a.ios.Lines().ReadString('\n'); err != nil {
		return "", plain.ErrAborted
	}
	return g.Value, nil
}

// missingInputs names, on one line, every required input that no flag,
// stdin or demo value gave: a script's author fixes them all at once.
func missingInputs(m providers.Method, values, secrets map[string]string) error {
	var missing []string
	for _, in := range m.Inputs {
		if !in.Optional && values[in.Key] == "" && secrets[in.Key] == "" {
			missing = append(missing, missingInput(in))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return providers.Usagef("%s", strings.Join(missing, "; "))
}

// missingInput says how to give one missing input.
func missingInput(in providers.Input) string {
	if in.Secret && in.Generate != nil {
		return fmt.Sprintf("missing %s (%s): pipe it into tether with --secret-stdin, or run on a terminal to have tether generate a key pair", in.Key, strings.ToLower(in.Label))
	}
	if in.Secret {
		return fmt.Sprintf("missing %s (%s): pipe it into tether with --secret-stdin", in.Key, strings.ToLower(in.Label))
	}
	example := in.Placeholder
	if example == "" {
		example = "VALUE"
	}
	return fmt.Sprintf("missing %s (%s): pass --set %s=%s", in.Key, strings.ToLower(in.Label), in.Key, example)
}
