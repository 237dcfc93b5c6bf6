package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tetherdev/tether/catalog"
	"github.com/tetherdev/tether/providers"
	"github.com/tetherdev/tether/ui/plain"
)

type catalogOptions struct {
	provider string
	output   *output
}

func newCatalogCmd(a *app) *cobra.Command {
	opts := &catalogOptions{}
	cmd := &cobra.Command{
		Use:   "catalog [PROVIDER]",
		Short: "Print the permissions each provider must grant",
		Long: `Print the permissions the platform needs from each provider, grouped in
capabilities: collect (always required), optional read capabilities, and one
capability per remediation action. Rows marked ⚑ are written in the integration
guide with a scope that is not real; tether requests the real one shown.

With a provider tether can connect, the table is followed by its methods and
the inputs each takes (--method and --set of tether setup).`,
		Example: `  tether catalog
  tether catalog entra --format markdown
  tether catalog auth0
  tether catalog --json | jq '.providers[].permissions[].name'`,
		Args:              maxOneArg("the provider whose permissions to print"),
		ValidArgsFunction: completeProviders(a, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.provider = providerID(args[0])
			}
			return catalogRun(a, opts)
		},
	}
	opts.output = addOutputFlags(cmd, "table", "markdown", "json")
	return cmd
}

func catalogRun(a *app, opts *catalogOptions) error {
	c, err := a.catalog()
	if err != nil {
		return err
	}
	provs := c.Providers
	if opts.provider != "" {
		p, ok := c.Provider(opts.provider)
		if !ok {
			return providers.Usagef("unknown provider %q (valid: %s)", opts.provider, strings.Join(c.IDs(), ", "))
		}
		provs = []catalog.Provider{p}
	}
	format, err := opts.output.Format()
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return plain.WriteJSON(a.ios.Out, catalog.Catalog{Version: c.Version, Providers: provs})
	case "markdown":
		return catalog.Markdown(a.ios.Out, provs)
	}
	if err := catalogTable(a, provs); err != nil {
		return err
	}
	if opts.provider != "" {
		if p, ok := a.implementedProvider(opts.provider); ok {
			_, err = fmt.Fprint(a.ios.Stdout(), "\n"+plain.Methods(p))
		}
	}
	return err
}

func catalogTable(a *app, provs []catalog.Provider) error {
	out := a.ios.Stdout()
	for i, p := range provs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s (%s): %s\n", p.Name, p.ID, p.Grant)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CAPABILITY\tPERMISSION\tREQUESTS\tDESCRIPTION · PURPOSE")
		for _, capa := range p.Capabilities {
			for _, name := range capa.Permissions {
				perm, _ := p.Permission(name)
				label := perm.Name
				if perm.Flagged() {
					label += " ⚑"
				}
				about := perm.Description
				if perm.Purpose != "" {
					about += " · " + perm.Purpose
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", catalog.CapabilityLabel(capa), label, strings.Join(perm.Identifiers(), ", "), about)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, perm := range p.Permissions {
			if perm.Flagged() {
				fmt.Fprintf(out, "  ⚑ %s: %s\n", perm.Name, perm.Flag)
			}
		}
	}
	return nil
}
