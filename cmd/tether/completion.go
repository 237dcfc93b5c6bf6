package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/flows"
	"github.com/tetherdev/tether/providers"
)

// registerCompletions teaches shell completion (tether completion SHELL)
// the values of the global flags. Each command completes its own
// arguments and flags: providers, their methods, capabilities and inputs,
// connection names and formats.
func registerCompletions(a *app, root *cobra.Command) {
	noFiles := cobra.ShellCompDirectiveNoFileComp
	_ = root.RegisterFlagCompletionFunc("store", cobra.FixedCompletions(
		[]string{string(flows.StoreKeyring) + "\tthe OS keyring", string(flows.StoreFile) + "\tage-encrypted files"}, noFiles))
	_ = root.RegisterFlagCompletionFunc("sandbox-deny", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cat, err := a.catalog()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, id := range a.implementedIDs() {
			cp, _ := cat.Provider(id)
			for _, p := range cp.Permissions {
				out = append(out, id+":"+p.Name)
			}
		}
		return listItem(toComplete, out), noFiles
	})
}

// setupCompletions completes setup's provider and, for that provider, its
// --method, --with capabilities and --set keys.
func setupCompletions(a *app, setup *cobra.Command) {
	noFiles := cobra.ShellCompDirectiveNoFileComp
	setup.ValidArgsFunction = completeProviders(a, true)
	_ = setup.RegisterFlagCompletionFunc("method", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		p, ok := completedProvider(a, args)
		if !ok {
			return nil, noFiles
		}
		var out []string
		for _, m := range p.Methods() {
			out = append(out, m.ID+"\t"+m.Name)
		}
		return out, noFiles
	})
	_ = setup.RegisterFlagCompletionFunc("with", func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cat, err := a.catalog()
		if err != nil || len(args) == 0 {
			return nil, noFiles
		}
		cp, ok := cat.Provider(providerID(args[0]))
		if !ok {
			return nil, noFiles
		}
		var out []string
		for _, c := range cp.Optional() {
			out = append(out, c.ID)
		}
		return listItem(toComplete, out), noFiles
	})
	_ = setup.RegisterFlagCompletionFunc("set", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		p, ok := completedProvider(a, args)
		if !ok {
			return nil, noFiles
		}
		id, _ := cmd.Flags().GetString("method")
		m, err := providers.FindMethod(p, id)
		if err != nil {
			return nil, noFiles
		}
		var out []string
		for _, in := range m.Inputs {
			if !in.Secret {
				out = append(out, in.Key+"=\t"+in.Label)
			}
		}
		return out, noFiles | cobra.ShellCompDirectiveNoSpace
	})
}

// completeProviders completes a command's one provider argument: the
// providers tether connects, or (implementedOnly false) every provider of
// the catalog.
func completeProviders(a *app, implementedOnly bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		cat, err := a.catalog()
		if err != nil || len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids := cat.IDs()
		if implementedOnly {
			ids = a.implementedIDs()
		}
		var out []string
		for _, id := range ids {
			cp, _ := cat.Provider(id)
			out = append(out, id+"\t"+cp.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeConnections completes PROVIDER[/NAME] arguments from the stored
// connections (the sandbox's with --sandbox), each named once.
func completeConnections(a *app) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if cmd.Name() == "forget" && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		m, err := a.managerFor(false)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		conns, err := m.Connections()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, c := range conns {
			out = append(out, c.Key().String()+"\t"+c.Tenant)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completedProvider is the provider named by the first argument, if
// tether connects it.
func completedProvider(a *app, args []string) (providers.Provider, bool) {
	if len(args) == 0 {
		return nil, false
	}
	return a.implementedProvider(providerID(args[0]))
}

// listItem completes the last item of a comma-separated list: each choice
// is offered after the items already typed.
func listItem(toComplete string, choices []string) []string {
	done := ""
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done = toComplete[:i+1]
	}
	out := make([]string, 0, len(choices))
	for _, c := range choices {
		out = append(out, done+c)
	}
	return out
}
